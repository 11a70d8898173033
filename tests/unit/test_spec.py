"""Workload specs: loading, defaults, and one failing case per rule and per error path.

Every error case checks the whole printed line, ``file:line:col: field: message``, because the
line and the wording are the interface a user sees.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pydantic
import pytest

from inputs import (
    DuplicateKeyError,
    InMemoryCatalogView,
    ModelFacts,
    SpecKindError,
    SpecReadError,
    SpecSyntaxError,
    SpecValidationError,
    Workload,
    load_file,
    load_text,
    load_workloads,
)
from inputs.errors import SpecError
from inputs.yaml_source import Position, parse_documents

CATALOG = InMemoryCatalogView(
    models=(
        ModelFacts("llama-3.1-8b", hosting="open", task="chat", max_context_tokens=131072),
        ModelFacts("gpt-4o", hosting="managed", task="chat", max_context_tokens=128000),
        ModelFacts(
            "text-embedding-3-large", hosting="managed", task="embedding", max_context_tokens=8191
        ),
        ModelFacts(
            "gpt-5-mini",
            hosting="managed",
            task="chat",
            max_context_tokens=272000,
            reasoning_model=True,
        ),
    ),
    regions={"swedencentral": "eu", "westeurope": "eu", "eastus": "us", "norwayeast": "no"},
    aliases={"llama-3.1-8b-instruct": "llama-3.1-8b"},
    hardware=("h100-nvl", "t4", "Standard_NC40ads_H100_v5", "NCadsH100v5"),
)

# Line numbers in the cases below refer to this text.
CHAT = """\
apiVersion: inferplan/v1
kind: Workload
metadata:
  name: support-chat
spec:
  model: llama-3.1-8b-instruct
  precision: bf16
  deployment: auto
  context:
    max_input_tokens: 6000
    max_output_tokens: 800
  traffic:
    peak_concurrency: 64
  residency:
    regions: [swedencentral, westeurope]
    geography: eu
  generation:
    temperature: 0.5
    max_tokens: 800
"""

EMBEDDING = """\
apiVersion: inferplan/v1
kind: Workload
metadata:
  name: search-embeddings
spec:
  model: text-embedding-3-large
  context:
    max_input_tokens: 8000
  traffic:
    peak_concurrency: 16
"""


def edit(text: str, *replacements: tuple[str, str]) -> str:
    """``text`` with each (old, new) replaced once; fails loudly when old is not there."""
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def problems_of(text: str, *, file: str = "w.yaml") -> list[str]:
    with pytest.raises(SpecError) as raised:
        load_text(text, CATALOG, file=file)
    return [problem.format() for problem in raised.value.problems]


def only_workload(text: str) -> Workload:
    (workload,) = load_text(text, CATALOG, file="w.yaml")
    assert isinstance(workload, Workload)
    return workload


# --- a valid workload, fully defaulted --------------------------------------------------------


def test_valid_chat_workload_is_resolved_and_defaulted() -> None:
    workload = only_workload(CHAT)

    assert workload.name == "support-chat"
    assert workload.model_id == "llama-3.1-8b"  # canonical id, not the alias
    assert workload.model_as_written == "llama-3.1-8b-instruct"
    assert workload.spec.model == "llama-3.1-8b"
    assert workload.precisions == ("bf16",)
    # Averages default to a quarter of the input maximum and half of the output maximum.
    assert workload.spec.context.avg_input_tokens == 1500
    assert workload.spec.context.avg_output_tokens == 400
    assert workload.spec.slo.ttft_p95_ms == 2000
    assert workload.spec.slo.output_tokens_per_second_p50 == 20
    assert workload.spec.slo.availability == 99.9
    assert workload.spec.traffic.peak_requests_per_minute is None
    assert workload.spec.streaming is True
    assert workload.spec.residency is not None
    assert workload.spec.residency.regions == ("swedencentral", "westeurope")
    assert workload.spec.residency.strict is False
    assert workload.spec.cost is None
    assert str(workload.source) == "w.yaml:1"


@pytest.mark.parametrize("written", ["azure-managed", "Azure-Managed", "azure-openai"])
def test_azure_managed_is_the_clearer_name_of_azure_openai(written: str) -> None:
    """Both names mean a model Azure sells; the spec keeps the one value the sizing knows."""
    text = CHAT.replace("model: llama-3.1-8b-instruct", "model: gpt-4o")
    text = text.replace("precision: bf16", "precision: auto")
    workload = only_workload(text.replace("deployment: auto", f"deployment: {written}"))
    assert workload.spec.deployment == "azure-openai"


def test_a_template_bound_on_either_name_holds_the_one_value() -> None:
    """A template's ``one_of: [azure-managed]`` admits a workload that writes azure-openai."""
    from inputs.template_rules import normalise_value

    assert normalise_value("deployment", "azure-managed") == ("azure-openai", None)
    assert normalise_value("deployment", "azure-openai") == ("azure-openai", None)


def test_loaded_workload_is_immutable() -> None:
    workload = only_workload(CHAT)
    with pytest.raises(pydantic.ValidationError):
        workload.spec.context.max_input_tokens = 1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        workload.model_as_written = "x"  # type: ignore[misc]


def test_source_ref_points_later_layers_at_any_field() -> None:
    workload = only_workload(CHAT)
    problem = workload.source.problem(("spec", "traffic", "peak_concurrency"), "cannot be served")
    assert problem.format() == "w.yaml:13:23: spec.traffic.peak_concurrency: cannot be served"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        pytest.param("precision: auto", ("auto",), id="auto"),
        pytest.param("precision: BF16", ("bf16",), id="case-folded"),
        pytest.param("precision: [fp8, int4]", ("fp8", "int4"), id="list-of-allowed"),
    ],
)
def test_precision_is_normalised_to_a_tuple(written: str, expected: tuple[str, ...]) -> None:
    workload = only_workload(edit(CHAT, ("precision: bf16", written)))
    assert workload.precisions == expected


def test_precision_defaults_to_auto() -> None:
    assert only_workload(edit(CHAT, ("  precision: bf16\n", ""))).precisions == ("auto",)


def test_reasoning_tokens_are_left_to_the_catalog_unless_stated() -> None:
    reasoning = edit(
        CHAT,
        ("model: llama-3.1-8b-instruct", "model: gpt-5-mini"),
        ("precision: bf16", "precision: auto"),
        ("    temperature: 0.5\n", ""),
    )
    # None: sizing takes the catalog's figure for the model's default reasoning effort
    assert only_workload(reasoning).spec.context.reasoning_tokens is None
    stated = edit(
        reasoning,
        (
            "    max_output_tokens: 800\n",
            "    max_output_tokens: 800\n    reasoning_tokens: 1500\n",
        ),
    )
    assert only_workload(stated).spec.context.reasoning_tokens == 1500


def test_embedding_workload_defaults_to_no_output_and_no_streaming() -> None:
    workload = only_workload(EMBEDDING)
    assert workload.model.task == "embedding"
    assert workload.spec.context.max_output_tokens == 0
    assert workload.spec.context.avg_output_tokens == 0
    assert workload.spec.streaming is False


def test_geography_no_is_norway_not_false() -> None:
    text = edit(
        CHAT, ("[swedencentral, westeurope]", "[norwayeast]"), ("geography: eu", "geography: no")
    )
    residency = only_workload(text).spec.residency
    assert residency is not None and residency.geography == "no"


def test_template_reference_needs_a_template_library() -> None:
    # Resolving templates is tested in test_templates.py; without a library it is a clear error.
    text = edit(CHAT, ("  deployment: auto\n", "  deployment: auto\n  template: chat-eu@2\n"))
    assert problems_of(text) == [
        "w.yaml:9:13: spec.template: names template 'chat-eu@2', but no template library was "
        "given to the loader (pass templates=... to spec.load_file)"
    ]


def test_merge_keys_copy_entries_and_keep_their_positions() -> None:
    text = "base: &b\n  x: 1\n  y: 1\nother:\n  <<: *b\n  y: 2\n"
    (document,) = parse_documents(text, "m.yaml")
    assert document.data["other"] == {"y": 2, "x": 1}  # explicit keys win over merged ones
    assert document.source_map.locate(("other", "x")) == Position(2, 6)  # where the text is
    assert document.source_map.locate(("other", "y")) == Position(6, 6)


# --- cross-field and catalog rules ------------------------------------------------------------

RULE_CASES = [
    pytest.param(
        CHAT,
        [
            ("max_input_tokens: 6000", "max_input_tokens: 126000"),
            ("output_tokens: 800", "output_tokens: 8000"),
        ],
        "w.yaml:10:23: spec.context.max_input_tokens: input 126000 + output 8000 tokens exceed "
        "llama-3.1-8b's context window of 131072 tokens",
        id="context-window",
    ),
    pytest.param(
        CHAT,
        [
            (
                "    max_output_tokens: 800\n",
                "    max_output_tokens: 800\n    avg_input_tokens: 7000\n",
            )
        ],
        "w.yaml:12:23: spec.context.avg_input_tokens: average input of 7000 tokens is more than "
        "max_input_tokens (6000)",
        id="avg-input-above-max",
    ),
    pytest.param(
        CHAT,
        [
            (
                "    max_output_tokens: 800\n",
                "    max_output_tokens: 800\n    avg_output_tokens: 900\n",
            )
        ],
        "w.yaml:12:24: spec.context.avg_output_tokens: average output of 900 tokens is more than "
        "max_output_tokens (800)",
        id="avg-output-above-max",
    ),
    pytest.param(
        CHAT,
        [("max_tokens: 800", "max_tokens: 1000")],
        "w.yaml:19:17: spec.generation.max_tokens: max_tokens 1000 is more than "
        "context.max_output_tokens (800)",
        id="generation-max-tokens-above-output",
    ),
    pytest.param(
        CHAT,
        [("    max_output_tokens: 800\n", ""), ("    max_tokens: 800\n", "")],
        "w.yaml:9:3: spec.context.max_output_tokens: chat model 'llama-3.1-8b' needs "
        "max_output_tokens of at least 1",
        id="chat-needs-output",
    ),
    pytest.param(
        CHAT,
        [("westeurope]", "westeurop]")],
        "w.yaml:15:30: spec.residency.regions[1]: unknown Azure region 'westeurop'; "
        "did you mean 'westeurope'?",
        id="unknown-region",
    ),
    pytest.param(
        CHAT,
        [("westeurope]", "eastus]")],
        "w.yaml:15:30: spec.residency.regions[1]: region 'eastus' is in geography 'us', not 'eu'",
        id="region-outside-geography",
    ),
    pytest.param(
        CHAT,
        [("westeurope]", "swedencentral]")],
        "w.yaml:15:30: spec.residency.regions[1]: region 'swedencentral' is listed twice",
        id="region-twice",
    ),
    pytest.param(
        CHAT,
        [("geography: eu", "geography: europe")],
        "w.yaml:16:16: spec.residency.geography: unknown geography 'europe'; known: eu, no, us",
        id="unknown-geography",
    ),
    pytest.param(
        CHAT,
        [("    regions: [swedencentral, westeurope]\n    geography: eu\n", "    strict: true\n")],
        "w.yaml:14:3: spec.residency: give regions, a geography, or both (or leave residency out)",
        id="empty-residency",
    ),
    pytest.param(
        CHAT,
        [
            ("model: llama-3.1-8b-instruct", "model: gpt-4o"),
            ("precision: bf16", "precision: auto"),
            ("deployment: auto", "deployment: aks-vllm"),
        ],
        "w.yaml:8:15: spec.deployment: 'gpt-4o' is only offered by Azure OpenAI (its weights are "
        "not public); use 'azure-managed' or 'auto'",
        id="managed-model-on-aks",
    ),
    pytest.param(
        CHAT,
        [("precision: bf16", "precision: auto"), ("deployment: auto", "deployment: azure-openai")],
        "w.yaml:8:15: spec.deployment: 'llama-3.1-8b' is not sold by Azure (neither Azure OpenAI "
        "nor another Foundry Model sold by Azure in the catalog); use 'aks-vllm' or 'auto'",
        id="open-model-on-azure-openai",
    ),
    pytest.param(
        CHAT,
        [("precision: bf16", "precision: auto"), ("deployment: auto", "deployment: azure-managed")],
        "w.yaml:8:15: spec.deployment: 'llama-3.1-8b' is not sold by Azure (neither Azure OpenAI "
        "nor another Foundry Model sold by Azure in the catalog); use 'aks-vllm' or 'auto'",
        id="open-model-on-azure-managed",
    ),
    pytest.param(
        CHAT,
        [("model: llama-3.1-8b-instruct", "model: gpt-4o")],
        "w.yaml:7:14: spec.precision: 'gpt-4o' on Azure OpenAI runs at the precision Microsoft "
        "chooses; use 'auto' or leave precision out",
        id="precision-on-managed-model",
    ),
    pytest.param(
        CHAT,
        [("precision: bf16", "precision: bf61")],
        "w.yaml:7:14: spec.precision: unknown precision 'bf61'; did you mean 'bf16'?",
        id="unknown-precision",
    ),
    pytest.param(
        CHAT,
        [("precision: bf16", "precision: [bf16, fp9]")],
        "w.yaml:7:21: spec.precision[1]: unknown precision 'fp9'; did you mean 'fp8'?",
        id="unknown-precision-in-list",
    ),
    pytest.param(
        CHAT,
        [("model: llama-3.1-8b-instruct", "model: llama-3.1-8b-instrcut")],
        "w.yaml:6:10: spec.model: unknown model 'llama-3.1-8b-instrcut'; "
        "did you mean 'llama-3.1-8b-instruct'?",
        id="unknown-model",
    ),
    pytest.param(
        EMBEDDING,
        [
            (
                "    max_input_tokens: 8000\n",
                "    max_input_tokens: 8000\n    max_output_tokens: 10\n",
            )
        ],
        "w.yaml:9:24: spec.context.max_output_tokens: embedding model 'text-embedding-3-large' "
        "produces no output tokens; set 0 or leave it out",
        id="embedding-with-output",
    ),
    pytest.param(
        EMBEDDING,
        [("  traffic:", "  generation: {temperature: 0}\n  traffic:")],
        "w.yaml:9:3: spec.generation: embedding model 'text-embedding-3-large' takes no "
        "generation settings",
        id="embedding-with-generation",
    ),
    pytest.param(
        EMBEDDING,
        [("  traffic:", "  streaming: true\n  traffic:")],
        "w.yaml:9:14: spec.streaming: embedding model 'text-embedding-3-large' does not stream; "
        "remove it",
        id="embedding-streaming",
    ),
    pytest.param(
        CHAT,
        [("  residency:", "  slo: {availability: 99.5, accept_availability: 99.9}\n  residency:")],
        "w.yaml:14:50: spec.slo.accept_availability: accept_availability 99.9 is above "
        "slo.availability 99.5; it names the lower figure the team accepts",
        id="accepted-above-required",
    ),
    pytest.param(
        CHAT,
        [("  residency:", "  hardware: {exclude: [h100-nvi]}\n  residency:")],
        "w.yaml:14:24: spec.hardware.exclude[0]: 'h100-nvi' names no GPU, VM size, VM family or "
        "MIG profile; did you mean 'h100-nvl'?",
        id="unknown-hardware",
    ),
    pytest.param(
        CHAT,
        [("  residency:", "  hardware: {allow: [MIG5g]}\n  residency:")],
        "w.yaml:14:22: spec.hardware.allow[0]: 'MIG5g' names no GPU, VM size, VM family or "
        "MIG profile",
        id="unknown-mig-profile",
    ),
    pytest.param(
        CHAT,
        [
            (
                "    peak_concurrency: 64\n",
                "    peak_concurrency: 64\n"
                "    batch: {requests_per_day: 1000, completion_window_hours: 8}\n",
            )
        ],
        "w.yaml:13:23: spec.traffic.peak_concurrency: traffic.batch describes offline work; "
        "leave peak_concurrency and peak_requests_per_minute out",
        id="batch-and-peak",
    ),
    pytest.param(
        CHAT,
        [
            (
                "    peak_concurrency: 64\n",
                "    batch: {requests_per_day: 1000, completion_window_hours: 8}\n"
                "    steady_share: 0.3\n",
            )
        ],
        "w.yaml:14:19: spec.traffic.steady_share: traffic.batch describes offline work, which "
        "has no steady share of a peak; leave steady_share out",
        id="batch-and-steady-share",
    ),
    pytest.param(
        CHAT,
        [("    peak_concurrency: 64\n", "    peak_requests_per_minute: 60\n")],
        "w.yaml:12:3: spec.traffic.peak_concurrency: required field is missing (or give "
        "traffic.batch for offline work)",
        id="no-peak-no-batch",
    ),
    pytest.param(
        EMBEDDING,
        [("  traffic:", "  slo: {output_tokens_per_second_p50: 30}\n  traffic:")],
        "w.yaml:9:39: spec.slo.output_tokens_per_second_p50: embedding model "
        "'text-embedding-3-large' has no output speed; remove it",
        id="embedding-output-speed",
    ),
    pytest.param(
        CHAT,
        [
            (
                "    max_output_tokens: 800\n",
                "    max_output_tokens: 800\n    reasoning_tokens: 500\n",
            )
        ],
        "w.yaml:12:23: spec.context.reasoning_tokens: 'llama-3.1-8b' is not an Azure OpenAI "
        "reasoning model; self-hosted models count their reasoning in avg_output_tokens and "
        "max_output_tokens",
        id="reasoning-tokens-on-an-open-model",
    ),
    pytest.param(
        CHAT,
        [
            ("model: llama-3.1-8b-instruct", "model: gpt-5-mini"),
            ("precision: bf16", "precision: auto"),
        ],
        "w.yaml:18:18: spec.generation.temperature: reasoning model 'gpt-5-mini' rejects "
        "temperature on Azure OpenAI; remove it",
        id="reasoning-model-rejects-temperature",
    ),
]


@pytest.mark.parametrize(("base", "replacements", "expected"), RULE_CASES)
def test_rule_reports_field_line_and_message(
    base: str, replacements: list[tuple[str, str]], expected: str
) -> None:
    assert problems_of(edit(base, *replacements)) == [expected]


def test_rule_failures_are_validation_errors() -> None:
    with pytest.raises(SpecValidationError):
        load_text(edit(CHAT, ("westeurope]", "westeurop]")), CATALOG)


def test_every_broken_rule_is_reported_at_once() -> None:
    text = edit(CHAT, ("westeurope]", "westeurop]"), ("max_tokens: 800", "max_tokens: 1000"))
    assert len(problems_of(text)) == 2


# --- field checks (pydantic), with rewritten messages -------------------------------------------

FIELD_CASES = [
    pytest.param(
        [("precision: bf16", "precison: bf16")],
        "w.yaml:7:3: spec.precison: unknown field 'precison'; did you mean 'precision'?",
        id="unknown-field-with-suggestion",
    ),
    pytest.param(
        [("peak_concurrency: 64", "peak_concurrency: '64'")],
        "w.yaml:13:23: spec.traffic.peak_concurrency: expected a whole number, got string '64'",
        id="quoted-number",
    ),
    pytest.param(
        [("peak_concurrency: 64", "peak_concurrency: 0")],
        "w.yaml:13:23: spec.traffic.peak_concurrency: must be at least 1, got 0",
        id="zero-concurrency",
    ),
    pytest.param(
        [("  deployment: auto\n", "  deployment: auto\n  streaming: yes\n")],
        "w.yaml:9:14: spec.streaming: expected true or false, got string 'yes'",
        id="yes-is-not-a-boolean",
    ),
    pytest.param(
        [("  traffic:\n    peak_concurrency: 64\n", "")],
        "w.yaml:5:1: spec.traffic: required field is missing",
        id="missing-section",
    ),
    pytest.param(
        [("deployment: auto", "deployment: aks")],
        "w.yaml:8:15: spec.deployment: must be one of 'auto', 'azure-openai', 'azure-managed' or "
        "'aks-vllm', got string 'aks'; did you mean 'aks-vllm'?",
        id="deployment-typo",
    ),
    pytest.param(
        [("name: support-chat", "name: Support_Chat")],
        "w.yaml:4:9: metadata.name: must be lowercase letters, digits and '-', start with a letter "
        "and end with a letter or digit (it becomes part of Kubernetes and Azure resource names), "
        "got string 'Support_Chat'",
        id="name-not-dns-label",
    ),
    pytest.param(
        [("name: support-chat", "name: " + "a" * 41)],
        "w.yaml:4:9: metadata.name: must be at most 40 characters, got 41",
        id="name-too-long",
    ),
    pytest.param(
        [("temperature: 0.5", "temperature: 2.5")],
        "w.yaml:18:18: spec.generation.temperature: must be at most 2, got 2.5",
        id="temperature-above-2",
    ),
    pytest.param(
        [("temperature: 0.5", "top_p: 1.5")],
        "w.yaml:18:12: spec.generation.top_p: must be at most 1, got 1.5",
        id="top-p-above-1",
    ),
    pytest.param(
        [("temperature: 0.5", "frequency_penalty: -3")],
        "w.yaml:18:24: spec.generation.frequency_penalty: must be at least -2, got -3",
        id="frequency-penalty-below-minus-2",
    ),
    pytest.param(
        [("temperature: 0.5", "presence_penalty: 2.5")],
        "w.yaml:18:23: spec.generation.presence_penalty: must be at most 2, got 2.5",
        id="presence-penalty-above-2",
    ),
    pytest.param(
        [("temperature: 0.5", "stop: [a, b, c, d, e]")],
        "w.yaml:18:5: spec.generation.stop: lists 5 items; at most 4 are allowed",
        id="five-stop-sequences",
    ),
    pytest.param(
        [("  traffic:", "  slo: {availability: 100}\n  traffic:")],
        "w.yaml:12:23: spec.slo.availability: must be at most 99.999, got 100",
        id="availability-above-99.999",
    ),
    pytest.param(
        [("  traffic:", "  slo: {availability: 89.5}\n  traffic:")],
        "w.yaml:12:23: spec.slo.availability: must be at least 90, got 89.5",
        id="availability-below-90",
    ),
    pytest.param(
        [("  traffic:", "  slo: {ttft_p95_ms: 0}\n  traffic:")],
        "w.yaml:12:22: spec.slo.ttft_p95_ms: must be greater than 0, got 0",
        id="zero-ttft",
    ),
    pytest.param(
        [("  traffic:", "  cost: {max_monthly_usd: -5}\n  traffic:")],
        "w.yaml:12:27: spec.cost.max_monthly_usd: must be greater than 0, got -5",
        id="negative-cost-cap",
    ),
    pytest.param(
        [("precision: bf16", "precision: [auto, bf16]")],
        "w.yaml:7:3: spec.precision: 'auto' already allows every precision; do not list it "
        "with others",
        id="auto-with-others",
    ),
    pytest.param(
        [("  deployment: auto\n", "  deployment: auto\n  template: chat-eu\n")],
        "w.yaml:9:13: spec.template: must be a template reference such as 'chat-eu@2' "
        "(name@version), got string 'chat-eu'",
        id="template-without-version",
    ),
    pytest.param(
        [("  traffic:\n    peak_concurrency: 64\n", "  traffic: 64\n")],
        "w.yaml:12:12: spec.traffic: expected a mapping (key: value lines), got 64",
        id="number-instead-of-mapping",
    ),
    pytest.param(
        [
            (
                "    max_output_tokens: 800\n",
                "    max_output_tokens: 800\n    reasoning_tokens: -5\n",
            )
        ],
        "w.yaml:12:23: spec.context.reasoning_tokens: must be at least 0, got -5",
        id="negative-reasoning-tokens",
    ),
    pytest.param(
        [
            (
                "    max_output_tokens: 800\n",
                "    max_output_tokens: 800\n    reasoning_tokens: 2000000\n",
            )
        ],
        "w.yaml:12:23: spec.context.reasoning_tokens: must be at most 1000000, got 2000000",
        id="reasoning-tokens-beyond-bound",
    ),
]


@pytest.mark.parametrize(("replacements", "expected"), FIELD_CASES)
def test_field_check_reports_line_and_human_message(
    replacements: list[tuple[str, str]], expected: str
) -> None:
    assert problems_of(edit(CHAT, *replacements)) == [expected]


# --- reading and parsing ----------------------------------------------------------------------

YAML_CASES = [
    pytest.param(
        edit(
            CHAT,
            (
                "    max_output_tokens: 800\n",
                "    max_output_tokens: 800\n    max_input_tokens: 10\n",
            ),
        ),
        SpecSyntaxError,
        [
            "w.yaml:12:5: spec.context.max_input_tokens: duplicate key 'max_input_tokens' (first "
            "given on line 10); YAML would silently keep only the last value"
        ],
        id="duplicate-key",
    ),
    pytest.param(
        edit(CHAT, ("    max_input_tokens: 6000\n", "    max_input_tokens: [6000\n")),
        SpecSyntaxError,
        [
            "w.yaml:11:22: YAML syntax error: expected ',' or ']', but got ':' "
            "(while parsing a flow sequence on line 10)"
        ],
        id="syntax-error",
    ),
    pytest.param(
        "",
        SpecSyntaxError,
        ["w.yaml:1:1: file is empty; expected a mapping with apiVersion, kind and spec"],
        id="empty-file",
    ),
    pytest.param(
        "# nothing but a comment\n",
        SpecSyntaxError,
        ["w.yaml:1:1: file is empty; expected a mapping with apiVersion, kind and spec"],
        id="only-comments",
    ),
    pytest.param(
        "- apiVersion: inferplan/v1\n",
        SpecSyntaxError,
        ["w.yaml:1:1: expected a mapping (key: value lines) at the top level, got a list"],
        id="top-level-list",
    ),
    pytest.param(
        "7: seven\n" + CHAT,
        SpecSyntaxError,
        ["w.yaml:1:1: mapping keys must be strings; quote the key '7'"],
        id="number-as-key",
    ),
    pytest.param(
        "kind: Workload\nspec: !!python/object:os.system {}\n",
        SpecSyntaxError,
        [
            "w.yaml:2:7: spec: unsupported YAML tag 'tag:yaml.org,2002:python/object:os.system'; "
            "write a plain value"
        ],
        id="python-tag",
    ),
    pytest.param(
        "kind: Workload\nmetadata:\n\tname: x\n",
        SpecSyntaxError,
        [
            "w.yaml:3:1: YAML syntax error: found character '\\t' that cannot start any token; "
            "indent with spaces, not tabs"
        ],
        id="tab-indent",
    ),
    pytest.param(
        "a: &loop [1, *loop]\n",
        SpecSyntaxError,
        ["w.yaml:1:4: a[1]: an alias refers to the collection that contains it"],
        id="recursive-alias",
    ),
    pytest.param(
        edit(CHAT, ("kind: Workload", "kind: Worklaod")),
        SpecKindError,
        [
            "w.yaml:2:7: kind: unknown kind string 'Worklaod'; did you mean 'Workload'? "
            "(known: Environment, Workload, WorkloadTemplate)"
        ],
        id="unknown-kind",
    ),
    pytest.param(
        edit(CHAT, ("kind: Workload\n", "")),
        SpecKindError,
        [
            "w.yaml:1:1: kind: missing; write 'kind: Environment' or 'kind: Workload' or "
            "'kind: WorkloadTemplate'"
        ],
        id="missing-kind",
    ),
    pytest.param(
        edit(CHAT, ("inferplan/v1", "inferplan/v2")),
        SpecKindError,
        [
            "w.yaml:1:13: apiVersion: unsupported apiVersion string 'inferplan/v2'; this inferplan "
            "reads 'inferplan/v1'"
        ],
        id="unknown-api-version",
    ),
]


@pytest.mark.parametrize(("text", "error_type", "expected"), YAML_CASES)
def test_yaml_mistakes(text: str, error_type: type[SpecError], expected: list[str]) -> None:
    with pytest.raises(error_type) as raised:
        load_text(text, CATALOG, file="w.yaml")
    assert [problem.format() for problem in raised.value.problems] == expected


def test_duplicate_keys_raise_their_own_type() -> None:
    text = edit(CHAT, ("  name: support-chat\n", "  name: support-chat\n  name: other\n"))
    with pytest.raises(DuplicateKeyError):
        load_text(text, CATALOG)


def test_non_utf8_file_names_the_byte_and_its_place(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(
        CHAT.replace("name: support-chat", "name: support-chat\n  description: caf\xe9").encode(
            "latin-1"
        )
    )
    with pytest.raises(SpecReadError) as raised:
        load_file(path, CATALOG, display="latin1.yaml")
    assert [p.format() for p in raised.value.problems] == [
        "latin1.yaml:5:19: file is not UTF-8 text (byte 0xe9 cannot be decoded); save it as UTF-8"
    ]


def test_missing_file_is_a_read_error(tmp_path: Path) -> None:
    with pytest.raises(SpecReadError) as raised:
        load_file(tmp_path / "nope.yaml", CATALOG, display="nope.yaml")
    assert raised.value.problems[0].format() == "nope.yaml: no such file"


def test_multi_document_file_validates_every_document(tmp_path: Path) -> None:
    second = edit(CHAT, ("name: support-chat", "name: support-chat-eu"))
    path = tmp_path / "two.yaml"
    path.write_text(CHAT + "---\n" + second, encoding="utf-8")
    workloads = load_workloads(path, CATALOG)
    assert [w.name for w in workloads] == ["support-chat", "support-chat-eu"]
    assert [(w.source.document, w.source.line) for w in workloads] == [(0, 1), (1, 21)]


def test_multi_document_file_reports_problems_with_their_own_lines() -> None:
    broken = edit(CHAT, ("peak_concurrency: 64", "peak_concurrency: 0"))
    text = edit(CHAT, ("peak_concurrency: 64", "peak_concurrency: -1")) + "---\n" + broken
    assert problems_of(text) == [
        "w.yaml:13:23: spec.traffic.peak_concurrency: must be at least 1, got -1",
        "w.yaml:33:23: spec.traffic.peak_concurrency: must be at least 1, got 0",
    ]


def test_load_workloads_rejects_other_kinds(tmp_path: Path) -> None:
    path = tmp_path / "env.yaml"
    path.write_text(
        "apiVersion: inferplan/v1\nkind: Environment\nmetadata: {name: dev}\nspec:\n"
        "  location: swedencentral\n  workloads: [env.yaml]\n"
        "  gateway: {tier: Developer, publisher_email: a@b.io, publisher_name: A}\n",
        encoding="utf-8",
    )
    with pytest.raises(SpecKindError) as raised:
        load_workloads(path, CATALOG)
    assert raised.value.problems[0].message == "expected a Workload here"


# --- percentile SLOs ----------------------------------------------------------------------------

PERCENTILES = (
    "  slo:\n"
    "    ttft: [{percentile: 50, ms: 300}, {percentile: 99, ms: 2500}]\n"
    "    itl: [{percentile: 99, ms: 120}]\n"
    "  residency:"
)


def test_percentile_slos_are_read_beside_the_legacy_fields() -> None:
    """slo.ttft and slo.itl carry (percentile, ms) pairs; ttft_p95_ms and
    output_tokens_per_second_p50 keep their defaults and meaning."""
    from sizing.catalog import default_catalog
    from sizing.search.from_spec import request_from_workload

    workload = only_workload(edit(CHAT, ("  residency:", PERCENTILES)))
    slo = workload.spec.slo
    assert [(t.percentile, t.ms) for t in slo.ttft] == [(50, 300.0), (99, 2500.0)]
    assert [(t.percentile, t.ms) for t in slo.itl] == [(99, 120.0)]
    req = request_from_workload(workload, catalog=default_catalog())
    assert req.ttft_targets == ((50, 300.0), (99, 2500.0))
    assert req.itl_targets == ((99, 120.0),)
    assert (req.ttft_p95_ms, req.output_tokens_per_second_p50) == (2000.0, 20.0)


def test_a_p95_entry_stands_for_ttft_p95_ms() -> None:
    from sizing.catalog import default_catalog
    from sizing.search.from_spec import request_from_workload

    text = edit(
        CHAT, ("  residency:", "  slo:\n    ttft: [{percentile: 95, ms: 800}]\n  residency:")
    )
    req = request_from_workload(only_workload(text), catalog=default_catalog())
    assert (req.ttft_p95_ms, req.ttft_targets) == (800.0, ())


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        pytest.param(
            "  slo:\n    ttft: [{percentile: 90, ms: 300}]\n  residency:",
            "w.yaml:15:25: spec.slo.ttft[0].percentile:",
            id="percentile-not-offered",
        ),
        pytest.param(
            "  slo:\n    itl: [{percentile: 99, ms: 40}, {percentile: 99, ms: 50}]\n  residency:",
            "w.yaml:15:50: spec.slo.itl[1].percentile: p99 is already given; one itl target per "
            "percentile",
            id="percentile-twice",
        ),
        pytest.param(
            "  slo:\n    ttft_p95_ms: 900\n    ttft: [{percentile: 95, ms: 800}]\n  residency:",
            "w.yaml:16:25: spec.slo.ttft[0].percentile: ttft_p95_ms already sets the p95; give it "
            "in one place",
            id="p95-in-two-places",
        ),
        pytest.param(
            "  slo:\n    ttft: [{percentile: 99, ms: -5}]\n  residency:",
            "w.yaml:15:33: spec.slo.ttft[0].ms: must be greater than 0, got -5",
            id="negative-latency",
        ),
    ],
)
def test_bad_percentile_slos_name_their_place(block: str, expected: str) -> None:
    problems = problems_of(edit(CHAT, ("  residency:", block)))
    assert any(p.startswith(expected) for p in problems), problems
