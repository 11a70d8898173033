"""Refresh the region lists of ``azure_openai.yaml`` from the Azure OpenAI models API.

For every region the file names (``region_geographies``), the models API says which model
versions the subscription can deploy there, and as which deployment types. An offer
(``models.<model>.offers.<type>``) is offered in a region when one of the model's listed
``versions`` appears there with that type. Its ``regions`` line becomes::

    regions: {value: [<sorted>], source: azure-models-api, date: "<date>", basis: observed}

Left as they are, and reported: offers the API shows in no region (a figure needs at least
one), every offer when a region's answer could not be read (a partial list would drop regions
silently), and what the file does not describe (a type the API offers that the file has no
offer for). Prices and quotas are not in this API: token and PTU prices keep their figures and
sources (the Retail Prices API names Azure OpenAI meters in free text that does not carry the
catalog's model id and deployment type reliably, so no price is rewritten from it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import yaml

from inferplan.preflight.apis import ModelOffer

MODELS_SOURCE = "azure-models-api"
MODELS_CITATION = (
    "Azure OpenAI models API, GET /subscriptions/{id}/providers/Microsoft.CognitiveServices/"
    "locations/{location}/models (api-version 2024-10-01; specification/cognitiveservices/"
    "resource-manager/Microsoft.CognitiveServices/stable/2024-10-01/cognitiveservices.json): the "
    "model versions and deployment types a subscription can deploy per region"
)

_MODEL_LINE = re.compile(r"^  (?P<model>[A-Za-z0-9][\w.-]*):\s*$")
_OFFER_LINE = re.compile(r"^      (?P<offer>[A-Za-z]+):\s*$")
_REGIONS_LINE = re.compile(r"^(?P<indent>        )regions: \{value: \[[^\]]*\].*\}\s*$")


def offered_regions(
    offers_by_region: Mapping[str, tuple[ModelOffer, ...]], *, model: str, versions: list[str]
) -> dict[str, list[str]]:
    """``deployment type -> sorted regions`` where any of ``versions`` of ``model`` is offered."""
    found: dict[str, set[str]] = {}
    for region, offers in offers_by_region.items():
        for offer in offers:
            if offer.model == model and offer.version in versions:
                found.setdefault(offer.deployment_type, set()).add(region)
    return {kind: sorted(regions) for kind, regions in sorted(found.items())}


def _with_source(text: str, date: str) -> str:
    """``text`` with the models API among its ``sources:`` (appended when missing)."""
    if re.search(rf"^  {MODELS_SOURCE}:", text, flags=re.MULTILINE):
        return text
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.rstrip() == "sources:")
    end = start + 1
    while end < len(lines) and lines[end].startswith("  "):
        end += 1
    lines[end:end] = [
        f"  {MODELS_SOURCE}:\n",
        f'    citation: "{MODELS_CITATION}"\n',
        f'    date: "{date}"\n',
    ]
    return "".join(lines)


def refresh_azure_openai(
    text: str,
    *,
    offers_by_region: Mapping[str, tuple[ModelOffer, ...]],
    failed_regions: tuple[str, ...] = (),
    date: str,
) -> tuple[str, list[str]]:
    """The refreshed file and notes for a person (see the module docstring)."""
    data = yaml.safe_load(text)
    if failed_regions:
        failed = ", ".join(failed_regions)
        return text, [f"azure_openai: no answer for {failed}; region lists left as they are"]
    notes: list[str] = []
    asked = sorted(offers_by_region)
    missing = sorted(set(data["region_geographies"]["regions"]) - set(asked))
    if missing:
        notes.append(f"azure_openai: regions not asked: {', '.join(missing)}")
    wanted: dict[tuple[str, str], list[str]] = {}
    for model, entry in data["models"].items():
        found = offered_regions(offers_by_region, model=model, versions=entry["versions"])
        for kind in entry["offers"]:
            if kind in found:
                wanted[(model, kind)] = found[kind]
            else:
                notes.append(f"{model} {kind}: offered in none of the regions asked; left as is")
        for kind in sorted(set(found) - set(entry["offers"])):
            if kind in data["deployment_types"]:
                notes.append(
                    f"{model}: offered as {kind} in {', '.join(found[kind])}, which the file has "
                    "no offer for"
                )
    out = []
    model = offer = None
    changed = in_models = False
    for line in text.splitlines(keepends=True):
        if line[:1] not in (" ", "#", "\n", ""):
            in_models, model, offer = line.rstrip() == "models:", None, None
        if not in_models:
            pass
        elif m := _MODEL_LINE.match(line):
            model, offer = m["model"], None
        elif m := _OFFER_LINE.match(line):
            offer = m["offer"]
        elif (m := _REGIONS_LINE.match(line)) and (model, offer) in wanted:
            regions = ", ".join(wanted[(model, offer)])
            line = (
                f"{m['indent']}regions: {{value: [{regions}], source: {MODELS_SOURCE}, "
                f'date: "{date}", basis: observed}}\n'
            )
            changed = True
        out.append(line)
    new_text = "".join(out)
    return (_with_source(new_text, date) if changed else new_text), notes
