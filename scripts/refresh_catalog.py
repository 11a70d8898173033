#!/usr/bin/env python3
"""Refresh the catalog's Azure facts from Azure's own APIs, marking each value observed.

    ./dev python scripts/refresh_catalog.py --prices-only            # public prices, no login
    az login && ./dev python scripts/refresh_catalog.py --subscription <id>
    ./dev python scripts/refresh_catalog.py --data-dir team-catalog --subscription <id>

* ``vm_skus.yaml``: prices from the Retail Prices API (public); regions and zones from the
  Resource SKUs API (``--subscription``, Reader).
* ``azure_openai.yaml``: token prices from the Retail Prices API for the meters named in
  ``inferplan/preflight/azure_openai_meters.yaml`` (public); region lists per model and
  deployment type from the models API (``--subscription``, Reader). PTU prices are left as they
  are (see ``inferplan.preflight.refresh_azure_openai``).

Every call goes through `inferplan.preflight.client.AzureClient` (GET only, pagination,
Retry-After); ``--recorded FILE`` replays answers instead and ``--record FILE`` saves them.
What the APIs do not give stays as it is; notes about what changed or could not be changed go
to stderr. A file is rewritten only when its text changes, and the same answers on the same
date give the same bytes. The rewriting itself lives in ``inferplan.preflight.refresh_*``
(pure); only `main` touches the network and the disk.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

import yaml

from inferplan.preflight import apis
from inferplan.preflight.catalog_refresh import models_by_region
from inferplan.preflight.client import AzureApiError, AzureClient, NoCredentials, Transport
from inferplan.preflight.recorded import RecordedTransport, RecordingMissing, RecordingTransport
from inferplan.preflight.refresh_azure_openai import (
    fetch_token_prices,
    load_meters,
    refresh_azure_openai,
)
from inferplan.preflight.refresh_vm_skus import fetch_vm_prices, refresh_vm_skus

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "sizing" / "catalog" / "data"


def known_regions(data_dir: Path) -> dict[str, bool]:
    """``region -> has availability zones`` from regions.yaml (the data dir's, else built-in)."""
    path = data_dir / "regions.yaml"
    if not path.is_file():
        path = DEFAULT_DATA_DIR / "regions.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {r["name"]: bool(r["availability_zones"]) for r in data["regions"]}


def refresh(
    data_dir: Path, client: AzureClient, *, subscription_id: str | None, date: str
) -> tuple[dict[Path, str], list[str]]:
    """New text of each catalog file in ``data_dir`` that changes, and notes (effectful:
    network, and reading the files)."""
    changed: dict[Path, str] = {}
    notes: list[str] = []
    vm_path = data_dir / "vm_skus.yaml"
    if vm_path.is_file():
        text = vm_path.read_text(encoding="utf-8")
        names = [s["name"] for s in yaml.safe_load(text)["vm_skus"]]
        observed = fetch_vm_prices(client, names)
        offers = (
            apis.resource_skus(client, subscription_id=subscription_id) if subscription_id else None
        )
        new_text, vm_notes = refresh_vm_skus(
            text,
            observed=observed,
            offers=offers,
            known_regions=known_regions(data_dir),
            date=date,
        )
        notes += vm_notes
        if new_text != text:
            changed[vm_path] = new_text
    aoai_path = data_dir / "azure_openai.yaml"
    if aoai_path.is_file():
        text = aoai_path.read_text(encoding="utf-8")
        token_prices = fetch_token_prices(client, load_meters())
        offers_by_region: dict[str, tuple[apis.ModelOffer, ...]] | None = None
        failed: list[str] = []
        if subscription_id:
            offers_by_region, failed, more = models_by_region(
                client, subscription_id=subscription_id, catalog_text=text
            )
            notes += more
        new_text, aoai_notes = refresh_azure_openai(
            text,
            offers_by_region=offers_by_region,
            failed_regions=tuple(failed),
            token_prices=token_prices,
            date=date,
        )
        notes += aoai_notes
        if new_text != text:
            changed[aoai_path] = new_text
    return changed, notes


def main(argv: list[str] | None = None) -> int:  # effectful: network and disk
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument(
        "--subscription", help="subscription whose Resource SKUs and models API to read"
    )
    parser.add_argument("--prices-only", action="store_true", help="Retail Prices only (no login)")
    parser.add_argument("--date", default=dt.date.today().isoformat())
    parser.add_argument("--recorded", type=Path, help="replay recorded answers instead of Azure")
    parser.add_argument("--record", type=Path, help="also save every answer to this file")
    args = parser.parse_args(argv)
    if not args.subscription and not args.prices_only:
        parser.error("give --subscription (regions, zones, models) or --prices-only")

    transport: Transport
    token = None
    if args.recorded:
        transport = RecordedTransport.from_file(args.recorded)
    else:
        from inferplan.preflight.client import RequestsTransport, default_token_provider

        transport = RequestsTransport()
        token = default_token_provider() if args.subscription else None
    recorder = RecordingTransport(transport) if args.record else None
    # Replayed throttling is not waited out.
    sleep = (lambda _s: None) if args.recorded else time.sleep
    client = AzureClient(recorder or transport, token=token, sleep=sleep)
    try:
        changed, notes = refresh(
            args.data_dir,
            client,
            subscription_id=None if args.prices_only else args.subscription,
            date=args.date,
        )
    except (NoCredentials, RecordingMissing, AzureApiError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for note in notes:
        print(note, file=sys.stderr)
    for path, text in sorted(changed.items()):
        path.write_text(text, encoding="utf-8")
        print(f"{path}: updated")
    if not changed:
        print("catalog unchanged")
    if recorder is not None:
        data = recorder.data("Azure answers recorded by scripts/refresh_catalog.py")
        args.record.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
