"""``inferplan catalog refresh prices|models``: rewrite catalog files from Azure's APIs.

* ``prices``: the public Azure Retail Prices API (no credentials): hourly prices of the VM sizes
  in ``vm_skus.yaml`` and the Azure OpenAI token meters named in ``azure_openai_meters.yaml``;
  ``azure_openai.yaml``'s ``checked.prices`` becomes the refresh date.
* ``models``: the Azure OpenAI models API (``GET .../locations/{location}/models``, Reader on the
  subscription, azure-identity credentials): per region the model versions and deployment types
  a subscription can deploy, with each version's ``lifecycleStatus`` and ``deprecation.inference``
  date. Region lists are rewritten (``refresh_azure_openai``), and each catalog version's
  lifecycle line from the status the API reports (`STAGES`); ``checked.lifecycle`` and
  ``checked.regions`` become the refresh date when every region answered.

The rewriting is pure (text in, text out, with notes); `refresh_prices` and `refresh_models`
read the files and ask Azure through `AzureClient`, which replays recorded answers in tests.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from inferplan.preflight import apis
from inferplan.preflight.apis import ModelOffer
from inferplan.preflight.client import AzureApiError, AzureClient
from inferplan.preflight.refresh_azure_openai import (
    MODELS_CITATION,
    MODELS_SOURCE,
    fetch_token_prices,
    load_meters,
    refresh_azure_openai,
)
from inferplan.preflight.refresh_vm_skus import fetch_vm_prices, refresh_vm_skus

# The models API's lifecycleStatus -> the catalog's stage. Deprecating: retirement announced,
# new deployments still allowed, as Legacy is (Learn, Microsoft Foundry Models lifecycle and
# support policy); Deprecated: no new customers.
STAGES = {
    "Preview": "preview",
    "GenerallyAvailable": "ga",
    "Stable": "ga",
    "Legacy": "legacy",
    "Deprecating": "legacy",
    "Deprecated": "deprecated",
    "Retired": "retired",
}
SEVERITY = ("preview", "ga", "legacy", "deprecated", "retired")
_MODEL = re.compile(r"^  (?P<model>[A-Za-z0-9][\w.-]*):\s*$")
_LIFE = re.compile(r'^(?P<indent>      )"(?P<version>[^"]+)": \{(?P<body>.*)\}\s*$')
_CHECKED = re.compile(r'^(?P<indent>  )(?P<family>lifecycle|prices|regions): "[^"]*"(?P<rest>.*)$')


def set_checked(text: str, families: Iterable[str], date: str) -> str:
    """``checked.<family>`` set to ``date`` for each family (the comment after it kept)."""
    wanted = set(families)
    out, inside = [], False
    for line in text.splitlines(keepends=True):
        if line[:1] not in (" ", "#", "\n", ""):
            inside = line.rstrip() == "checked:"
        elif inside and (m := _CHECKED.match(line.rstrip("\n"))) and m["family"] in wanted:
            line = f'{m["indent"]}{m["family"]}: "{date}"{m["rest"]}\n'
        out.append(line)
    return "".join(out)


def observed_lifecycle(
    offers_by_region: Mapping[str, tuple[ModelOffer, ...]],
) -> dict[tuple[str, str], tuple[str, str | None]]:
    """``(model, version) -> (stage, retirement date)`` over every region: the most severe stage
    any region reports, and the earliest ``deprecation.inference`` date."""
    seen: dict[tuple[str, str], tuple[str, str | None]] = {}
    for offers in offers_by_region.values():
        for o in offers:
            stage = STAGES.get(o.lifecycle)
            if stage is None:
                continue
            key = (o.model, o.version)
            old_stage, old_date = seen.get(key, ("preview", None))
            worst = max(stage, old_stage, key=SEVERITY.index)
            dates = [d[:10] for d in (old_date, o.deprecation_date) if d]
            seen[key] = (worst, min(dates) if dates else None)
    return seen


def refresh_lifecycle(
    text: str, observed: Mapping[tuple[str, str], tuple[str, str | None]], *, date: str
) -> tuple[str, list[str]]:
    """Each catalog version's lifecycle line rewritten from what the models API reports
    (status, and retirement when the API gives a date); versions it does not report are kept
    and named in the notes. The named replacement is kept (the API names none)."""
    notes: list[str] = []
    out, model, in_models, changed = [], None, False, False
    for line in text.splitlines(keepends=True):
        if line[:1] not in (" ", "#", "\n", ""):
            in_models, model = line.rstrip() == "models:", None
        if in_models and (m := _MODEL.match(line)):
            model = m["model"]
        elif in_models and model and (m := _LIFE.match(line.rstrip("\n"))):
            key = (model, m["version"])
            if key not in observed:
                notes.append(f"{model} {m['version']}: not in the models API's answer; kept")
            else:
                stage, retires = observed[key]
                fields = dict(re.findall(r"(\w+): (\"[^\"]*\"|[^,]+)", m["body"]))
                fields["status"] = stage
                if retires:
                    fields["retirement"] = f'"{retires}"'
                    fields.pop("retirement_not_before", None)
                fields["source"] = MODELS_SOURCE
                fields["date"] = f'"{date}"'
                order = ["status", "deprecation", "retirement", "retirement_not_before"]
                order += ["replacement", "source", "date"]
                body = ", ".join(f"{k}: {fields[k]}" for k in order if k in fields)
                new = f'{m["indent"]}"{m["version"]}": {{{body}}}\n'
                if new != line:
                    changed = True
                    line = new
        out.append(line)
    new_text = "".join(out)
    if changed and f"  {MODELS_SOURCE}:\n" not in new_text:
        new_text = new_text.replace(
            "\nsources:\n",
            f'\nsources:\n  {MODELS_SOURCE}:\n    citation: "{MODELS_CITATION}"\n'
            f'    date: "{date}"\n',
            1,
        )
    return new_text, notes


def _known_regions(data_dir: Path, builtin: Path) -> dict[str, bool]:
    path = data_dir / "regions.yaml"
    if not path.is_file():
        path = builtin / "regions.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {r["name"]: bool(r["availability_zones"]) for r in data["regions"]}


def refresh_prices(
    data_dir: Path, client: AzureClient, *, date: str, builtin: Path
) -> tuple[dict[Path, str], list[str]]:
    """New text of the files whose prices change, and notes (effectful: reads, asks Azure)."""
    changed: dict[Path, str] = {}
    notes: list[str] = []
    vm_path = data_dir / "vm_skus.yaml"
    if vm_path.is_file():
        text = vm_path.read_text(encoding="utf-8")
        names = [s["name"] for s in yaml.safe_load(text)["vm_skus"]]
        new, more = refresh_vm_skus(
            text,
            observed=fetch_vm_prices(client, names),
            offers=None,
            known_regions=_known_regions(data_dir, builtin),
            date=date,
        )
        notes += more
        if new != text:
            changed[vm_path] = new
    aoai_path = data_dir / "azure_openai.yaml"
    if aoai_path.is_file():
        text = aoai_path.read_text(encoding="utf-8")
        new, more = refresh_azure_openai(
            text, token_prices=fetch_token_prices(client, load_meters()), date=date
        )
        new = set_checked(new, ["prices"], date)
        notes += more
        if new != text:
            changed[aoai_path] = new
    return changed, notes


def models_by_region(
    client: AzureClient, *, subscription_id: str, catalog_text: str
) -> tuple[dict[str, tuple[ModelOffer, ...]], list[str], list[str]]:
    """The models API's answer for every region ``azure_openai.yaml`` names, the regions that
    did not answer, and a note for each of those (effectful: one API call per region)."""
    offers_by_region: dict[str, tuple[ModelOffer, ...]] = {}
    failed: list[str] = []
    notes: list[str] = []
    for region in sorted(yaml.safe_load(catalog_text)["region_geographies"]["regions"]):
        try:
            offers_by_region[region] = apis.location_models(
                client, subscription_id=subscription_id, location=region
            )
        except AzureApiError as error:
            failed.append(region)
            notes.append(f"models API, {region}: {error}")
    return offers_by_region, failed, notes


def refresh_models(
    data_dir: Path, client: AzureClient, *, subscription_id: str, date: str
) -> tuple[dict[Path, str], list[str]]:
    """New text of ``azure_openai.yaml`` from the models API of every region it names, and
    notes. A region that does not answer leaves region lists and checked dates as they are."""
    path = data_dir / "azure_openai.yaml"
    if not path.is_file():
        return {}, [f"{path}: no azure_openai.yaml to refresh"]
    text = path.read_text(encoding="utf-8")
    offers_by_region, failed, notes = models_by_region(
        client, subscription_id=subscription_id, catalog_text=text
    )
    new, more = refresh_azure_openai(
        text, offers_by_region=offers_by_region, failed_regions=tuple(failed), date=date
    )
    notes += more
    new, more = refresh_lifecycle(new, observed_lifecycle(offers_by_region), date=date)
    notes += more
    if not failed:
        new = set_checked(new, ["lifecycle", "regions"], date)
    return ({path: new} if new != text else {}), notes


def diff_summary(path: Path, old: str, new: str) -> str:
    """What a refresh changed in one file: a unified diff without context, for review."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), str(path), str(path), n=0
    )
    return "".join(lines)
