"""Workload templates: resolution, bounds, locked and required fields, versions, the CLI.

The templates are fixtures in tests/fixtures/templates/library (chat-eu@1, chat-eu@2, coder@1),
independent of the repository's own templates/ so that publishing a new real version does not
change these cases. Every error case checks the whole printed line: the workload's file, line
and column are the interface a team sees.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from inferplan.cli.main import main
from inputs import (
    InMemoryCatalogView,
    ModelFacts,
    SpecValidationError,
    TemplateFolders,
    Workload,
    WorkloadTemplate,
    load_file,
    load_template_file,
    load_text,
    template_search_path,
)
from inputs.errors import SpecError

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "templates"
LIBRARY = TemplateFolders([FIXTURES / "library"])

CATALOG = InMemoryCatalogView(
    models=(
        ModelFacts("gpt-4o-mini", hosting="managed", task="chat", max_context_tokens=128000),
        ModelFacts("llama-3.1-8b", hosting="open", task="chat", max_context_tokens=131072),
    ),
    regions={"swedencentral": "eu", "westeurope": "eu", "francecentral": "eu", "eastus": "us"},
)

# Line numbers in the cases below refer to this text.
HR_CHAT = """\
apiVersion: inferplan/v1
kind: Workload
metadata:
  name: hr-chat
  owner: team-people
spec:
  template: chat-eu@2
  context:
    max_input_tokens: 8000
  traffic:
    peak_concurrency: 100
  residency:
    regions: [swedencentral, westeurope]
  generation:
    temperature: 0.2
"""

CODER = """\
apiVersion: inferplan/v1
kind: Workload
metadata:
  name: ide-assistant
spec:
  template: coder@1
  precision: fp8
  traffic:
    peak_concurrency: 16
  cost:
    max_monthly_usd: 8000
"""


def edit(text: str, *replacements: tuple[str, str]) -> str:
    """``text`` with each (old, new) replaced once; fails loudly when old is not there."""
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def resolve(text: str, library: TemplateFolders = LIBRARY) -> Workload:
    (workload,) = load_text(text, CATALOG, file="w.yaml", templates=library)
    assert isinstance(workload, Workload)
    return workload


def problems_of(text: str, library: TemplateFolders | None = LIBRARY) -> list[str]:
    with pytest.raises(SpecError) as raised:
        load_text(text, CATALOG, file="w.yaml", templates=library)
    return [problem.format() for problem in raised.value.problems]


# --- resolution: fixed + defaults + the workload's own fields ------------------------------------


def test_fixed_defaults_and_overrides_merge_into_one_workload() -> None:
    workload = resolve(HR_CHAT)

    assert workload.template == "chat-eu@2"
    assert workload.spec.template == "chat-eu@2"
    # fixed by the template
    assert workload.model_id == "gpt-4o-mini"
    assert workload.spec.deployment == "azure-openai"
    assert workload.spec.slo.ttft_p95_ms == 1500
    # a section merges field by field: geography and strict fixed, regions from the workload
    assert workload.spec.residency is not None
    assert workload.spec.residency.geography == "eu"
    assert workload.spec.residency.strict is True
    assert workload.spec.residency.regions == ("swedencentral", "westeurope")
    # template default, then the workload's own values, then the Workload's own defaults
    assert workload.spec.context.max_output_tokens == 1000
    assert workload.spec.context.max_input_tokens == 8000
    assert workload.spec.traffic.peak_concurrency == 100
    assert workload.spec.generation is not None and workload.spec.generation.temperature == 0.2
    assert workload.spec.context.avg_input_tokens == 2000  # a quarter of 8000, as without one
    assert workload.spec.slo.availability == 99.9


def test_a_workload_may_override_a_default() -> None:
    text = edit(
        HR_CHAT,
        (
            "    max_input_tokens: 8000\n",
            "    max_input_tokens: 8000\n    max_output_tokens: 1800\n",
        ),
    )
    assert resolve(text).spec.context.max_output_tokens == 1800


def test_template_default_precision_is_normalised_like_a_workloads() -> None:
    workload = resolve(edit(CODER, ("  precision: fp8\n", "")))
    assert workload.precisions == ("bf16",)
    assert workload.spec.context.max_input_tokens == 4000


def test_versions_are_pinned_and_old_ones_keep_resolving() -> None:
    within_both = edit(HR_CHAT, ("peak_concurrency: 100", "peak_concurrency: 40"))
    within_both = edit(within_both, ("[swedencentral, westeurope]", "[swedencentral]"))
    first = resolve(edit(within_both, ("chat-eu@2", "chat-eu@1")))
    second = resolve(within_both)

    assert (first.template, second.template) == ("chat-eu@1", "chat-eu@2")
    assert first.spec.slo.ttft_p95_ms == 2000  # @1 leaves the Workload default
    assert second.spec.slo.ttft_p95_ms == 1500  # @2 fixes a faster first token
    # 100 concurrent requests are inside @2's bound and outside @1's
    assert resolve(HR_CHAT).spec.traffic.peak_concurrency == 100
    assert problems_of(edit(HR_CHAT, ("chat-eu@2", "chat-eu@1"))) == [
        "w.yaml:11:23: spec.traffic.peak_concurrency: must be at most 64 under template "
        "chat-eu@1, got 100",
        "w.yaml:13:30: spec.residency.regions[1]: 'westeurope' is not allowed by template "
        "chat-eu@1; allowed: swedencentral",
    ]


def test_a_version_may_be_written_with_trailing_zeros() -> None:
    assert resolve(edit(HR_CHAT, ("chat-eu@2", "chat-eu@2.0"))).template == "chat-eu@2"


# --- bounds: inside accepted, outside rejected at the workload's line ----------------------------


@pytest.mark.parametrize(
    ("text", "replacement"),
    [
        pytest.param(HR_CHAT, ("peak_concurrency: 100", "peak_concurrency: 128"), id="max-edge"),
        pytest.param(HR_CHAT, ("max_input_tokens: 8000", "max_input_tokens: 500"), id="min-edge"),
        pytest.param(HR_CHAT, ("[swedencentral, westeurope]", "[westeurope]"), id="subset-of-list"),
        pytest.param(
            HR_CHAT,
            ("  generation:\n", "  slo: {availability: 99.95}\n  generation:\n"),
            id="one-of-scalar",
        ),
        pytest.param(CODER, ("precision: fp8", "precision: [bf16, fp8]"), id="one-of-list"),
        pytest.param(CODER, ("precision: fp8", "precision: BF16"), id="one-of-case-folded"),
        pytest.param(
            CODER, ("  cost:\n", "  slo: {ttft_p95_ms: 3000}\n  cost:\n"), id="float-max-edge"
        ),
    ],
)
def test_values_inside_their_bounds_are_accepted(text: str, replacement: tuple[str, str]) -> None:
    resolve(edit(text, replacement))


@pytest.mark.parametrize(
    ("text", "replacement", "expected"),
    [
        pytest.param(
            HR_CHAT,
            ("peak_concurrency: 100", "peak_concurrency: 129"),
            "w.yaml:11:23: spec.traffic.peak_concurrency: must be at most 128 under template "
            "chat-eu@2, got 129",
            id="above-max",
        ),
        pytest.param(
            HR_CHAT,
            ("max_input_tokens: 8000", "max_input_tokens: 499"),
            "w.yaml:9:23: spec.context.max_input_tokens: must be at least 500 under template "
            "chat-eu@2, got 499",
            id="below-min",
        ),
        pytest.param(
            HR_CHAT,
            ("[swedencentral, westeurope]", "[swedencentral, francecentral]"),
            "w.yaml:13:30: spec.residency.regions[1]: 'francecentral' is not allowed by template "
            "chat-eu@2; allowed: swedencentral, westeurope; did you mean 'swedencentral'?",
            id="outside-subset",
        ),
        pytest.param(
            HR_CHAT,
            ("  generation:\n", "  slo: {availability: 99.99}\n  generation:\n"),
            "w.yaml:14:23: spec.slo.availability: must be one of 99.9, 99.95 under template "
            "chat-eu@2, got 99.99",
            id="not-one-of",
        ),
        pytest.param(
            CODER,
            ("precision: fp8", "precision: int4"),
            "w.yaml:7:14: spec.precision: 'int4' is not allowed by template coder@1; "
            "allowed: bf16, fp8",
            id="list-field-written-as-one-value",
        ),
        pytest.param(
            CODER,
            ("precision: fp8", "precision: [fp8, int8]"),
            "w.yaml:7:20: spec.precision[1]: 'int8' is not allowed by template coder@1; "
            "allowed: bf16, fp8",
            id="list-item",
        ),
        pytest.param(
            CODER,
            ("max_monthly_usd: 8000", "max_monthly_usd: 12000.5"),
            "w.yaml:11:22: spec.cost.max_monthly_usd: must be at most 10000 under template "
            "coder@1, got 12000.5",
            id="float-above-max",
        ),
    ],
)
def test_values_outside_their_bounds_are_rejected(
    text: str, replacement: tuple[str, str], expected: str
) -> None:
    assert problems_of(edit(text, replacement)) == [expected]


# --- locked and required fields ------------------------------------------------------------------

CHAT_EU_2_OPEN = (
    "context.max_input_tokens, context.max_output_tokens, traffic.peak_concurrency, "
    "residency.regions, slo.availability, generation"
)


@pytest.mark.parametrize(
    ("replacement", "expected"),
    [
        pytest.param(
            ("  template: chat-eu@2\n", "  template: chat-eu@2\n  model: gpt-4o\n"),
            "w.yaml:8:3: spec.model: fixed to 'gpt-4o-mini' by template chat-eu@2; remove it",
            id="fixed-field",
        ),
        pytest.param(
            ("    regions: [swedencentral, westeurope]\n", "    strict: true\n"),
            "w.yaml:13:5: spec.residency.strict: fixed to true by template chat-eu@2; remove it",
            id="fixed-even-when-equal",
        ),
        pytest.param(
            ("  generation:\n", "  streaming: false\n  generation:\n"),
            f"w.yaml:14:3: spec.streaming: not overridable in template chat-eu@2 (a workload "
            f"may set: {CHAT_EU_2_OPEN})",
            id="neither-fixed-nor-open",
        ),
        pytest.param(
            ("  generation:\n", "  slo: {ttft_p95_ms: 900}\n  generation:\n"),
            "w.yaml:14:9: spec.slo.ttft_p95_ms: fixed to 1500 by template chat-eu@2; remove it",
            id="fixed-inside-a-section-the-workload-also-writes",
        ),
    ],
)
def test_locked_fields_cannot_be_overridden(replacement: tuple[str, str], expected: str) -> None:
    assert problems_of(edit(HR_CHAT, replacement)) == [expected]


def test_required_fields_must_be_set_by_the_workload() -> None:
    text = edit(
        HR_CHAT, ("  owner: team-people\n", ""), ("  traffic:\n    peak_concurrency: 100\n", "")
    )
    # One line per missing field; pydantic's own "required field is missing" is not repeated.
    assert problems_of(text) == [
        "w.yaml:3:1: metadata.owner: required by template chat-eu@2; set it",
        "w.yaml:5:1: spec.traffic.peak_concurrency: required by template chat-eu@2; set it",
    ]


def test_a_required_field_with_a_value_elsewhere_in_the_section_points_at_the_section() -> None:
    text = edit(CODER, ("    max_monthly_usd: 8000\n", "    reservation: none\n"))
    assert problems_of(text) == [
        "w.yaml:10:3: spec.cost.max_monthly_usd: required by template coder@1; set it",
        "w.yaml:11:5: spec.cost.reservation: not overridable in template coder@1 (a workload may "
        "set: precision, context.max_input_tokens, context.max_output_tokens, "
        "traffic.peak_concurrency, slo.ttft_p95_ms, cost.max_monthly_usd)",
    ]


def test_merged_workload_still_passes_every_workload_rule() -> None:
    text = edit(HR_CHAT, ("    temperature: 0.2\n", "    max_tokens: 1500\n"))
    assert problems_of(text) == [
        "w.yaml:15:17: spec.generation.max_tokens: max_tokens 1500 is more than "
        "context.max_output_tokens (1000)",
    ]


# --- finding the template ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        pytest.param(
            "chat-ue@2",
            "unknown template 'chat-ue'; did you mean 'chat-eu'? (known: chat-eu, coder; "
            "searched {library}/)",
            id="unknown-name",
        ),
        pytest.param(
            "chat-eu@3",
            "template 'chat-eu' has no version 3; published versions: 1, 2 (latest: chat-eu@2)",
            id="unknown-version",
        ),
        pytest.param(
            "chat-eu",
            "must be a template reference such as 'chat-eu@2' (name@version), got string 'chat-eu'",
            id="no-version",
        ),
    ],
)
def test_unknown_templates_are_reported_at_the_reference(ref: str, expected: str) -> None:
    message = expected.format(library=FIXTURES / "library")
    assert problems_of(edit(HR_CHAT, ("chat-eu@2", ref))) == [
        f"w.yaml:7:13: spec.template: {message}"
    ]


def test_without_a_library_a_template_reference_is_a_clear_error() -> None:
    assert problems_of(HR_CHAT, library=None) == [
        "w.yaml:7:13: spec.template: names template 'chat-eu@2', but no template library was "
        "given to the loader (pass templates=... to spec.load_file)"
    ]


def test_a_problem_with_a_template_value_names_the_template_line(tmp_path: Path) -> None:
    (tmp_path / "future@1.yaml").write_text(
        "apiVersion: inferplan/v1\n"
        "kind: WorkloadTemplate\n"
        "metadata: {name: future, version: 1, description: A model not in this catalog., "
        "owner: platform-team}\n"
        "spec:\n"
        "  fixed:\n"
        "    model: gpt-5-mini\n"
        "  overridable: {context.max_input_tokens: {}, context.max_output_tokens: {}, "
        "traffic.peak_concurrency: {}}\n",
        encoding="utf-8",
    )
    library = TemplateFolders([tmp_path])
    text = edit(HR_CHAT, ("chat-eu@2", "future@1"))
    text = edit(
        text,
        (
            "    max_input_tokens: 8000\n",
            "    max_input_tokens: 8000\n    max_output_tokens: 100\n",
        ),
    )
    text = edit(
        text,
        (
            "  residency:\n    regions: [swedencentral, westeurope]\n"
            "  generation:\n    temperature: 0.2\n",
            "",
        ),
    )
    # The workload did not write the model: the line is its template reference, and the
    # message says where the template sets the value.
    assert problems_of(text, library) == [
        f"w.yaml:7:13: spec.model: unknown model 'gpt-5-mini'; did you mean 'gpt-4o-mini'? "
        f"(value from template future@1, {tmp_path}/future@1.yaml:6:12)"
    ]


# --- template files: validated with the same machinery -------------------------------------------

TEMPLATE = """\
apiVersion: inferplan/v1
kind: WorkloadTemplate
metadata:
  name: chat-eu
  version: 2
  description: EU chat.
  owner: platform-team
spec:
  fixed:
    model: gpt-4o-mini
  defaults:
    context: {max_output_tokens: 1000}
  overridable:
    context.max_input_tokens: {max: 8000}
    context.max_output_tokens: {max: 2000}
    traffic.peak_concurrency: {min: 1, max: 64}
    residency.regions: {subset_of: [swedencentral]}
  required: [traffic.peak_concurrency]
"""


def test_a_valid_template_loads_with_normalised_bounds() -> None:
    (template,) = load_text(TEMPLATE, CATALOG, file="t.yaml")
    assert isinstance(template, WorkloadTemplate)
    assert template.ref == "chat-eu@2"
    assert template.fixed == {"model": "gpt-4o-mini"}
    assert template.defaults == {"context": {"max_output_tokens": 1000}}
    assert [b.describe() for b in template.bounds.values()] == [
        "<= 8000",
        "<= 2000",
        "1..64",
        "subset of [swedencentral]",
    ]


@pytest.mark.parametrize(
    ("replacement", "expected"),
    [
        pytest.param(
            ("traffic.peak_concurrency: {min", "traffic.peak_concurency: {min"),
            [
                "t.yaml:8:1: spec: every workload needs 'traffic.peak_concurrency' (or "
                "'traffic.batch'), but this template neither fixes, defaults nor lets a workload "
                "set it",
                "t.yaml:16:5: spec.overridable.traffic.peak_concurency: 'traffic.peak_concurency' "
                "is not a workload spec field; did you mean 'traffic.peak_concurrency'?",
                "t.yaml:18:14: spec.required[0]: 'traffic.peak_concurrency' is required but not "
                "overridable; list it under overridable",
            ],
            id="bound-on-unknown-path",
        ),
        pytest.param(
            ("    residency.regions: {subset_of: [swedencentral]}\n", "    deployment: {max: 3}\n"),
            [
                "t.yaml:17:23: spec.overridable.deployment.max: min and max apply to numbers; "
                "'deployment' holds a string"
            ],
            id="min-max-on-a-string",
        ),
        pytest.param(
            (
                "    residency.regions: {subset_of: [swedencentral]}\n",
                "    deployment: {subset_of: [aks-vllm]}\n",
            ),
            [
                "t.yaml:17:18: spec.overridable.deployment.subset_of: subset_of applies to lists; "
                "'deployment' holds one string (use one_of)"
            ],
            id="subset-of-a-scalar",
        ),
        pytest.param(
            (
                "    residency.regions: {subset_of: [swedencentral]}\n",
                "    deployment: {one_of: [aks-vllm, azur-openai]}\n",
            ),
            [
                "t.yaml:17:37: spec.overridable.deployment.one_of[1]: not a valid deployment: must "
                "be one of 'auto', 'azure-openai', 'azure-managed' or 'aks-vllm', got string "
                "'azur-openai'; did you mean 'azure-openai'?"
            ],
            id="one-of-value-the-field-cannot-hold",
        ),
        pytest.param(
            ("{min: 1, max: 64}", "{min: 65, max: 64}"),
            [
                "t.yaml:16:37: spec.overridable.traffic.peak_concurrency.min: min 65 is more than "
                "max 64"
            ],
            id="min-above-max",
        ),
        pytest.param(
            ("    residency.regions: {subset_of: [swedencentral]}\n", "    model: {}\n"),
            [
                "t.yaml:17:5: spec.overridable.model: 'model' is fixed by this template; a field "
                "is fixed or overridable"
            ],
            id="fixed-and-overridable",
        ),
        pytest.param(
            ("{max_output_tokens: 1000}", "{max_output_tokens: 3000}"),
            [
                "t.yaml:12:34: spec.defaults.context.max_output_tokens: must be at most 2000 under "
                "template chat-eu@2, got 3000"
            ],
            id="default-outside-its-bound",
        ),
        pytest.param(
            ("{max_output_tokens: 1000}", "{max_output_tokens: 1000, avg_input_tokens: 9}"),
            [
                "t.yaml:12:58: spec.defaults.context.avg_input_tokens: not overridable; move it to "
                "fixed, or list it under overridable"
            ],
            id="default-for-a-locked-field",
        ),
        pytest.param(
            ("required: [traffic.peak_concurrency]", "required: [context.max_output_tokens]"),
            [
                "t.yaml:18:14: spec.required[0]: 'context.max_output_tokens' has a default, so a "
                "workload need not set it; drop one of them"
            ],
            id="required-with-a-default",
        ),
        pytest.param(
            ("    model: gpt-4o-mini\n", "    modle: gpt-4o-mini\n"),
            [
                "t.yaml:10:5: spec.fixed.modle: unknown field 'modle'; did you mean 'model'?",
            ],
            id="typo-in-fixed",
        ),
        pytest.param(
            ("  version: 2\n", "  version: 1.3\n"),
            [
                "t.yaml:5:12: metadata.version: write the version as a whole number (2) or a "
                "quoted string ('1.3'); YAML reads an unquoted 1.3 as a number"
            ],
            id="float-version",
        ),
        pytest.param(
            ("  owner: platform-team\n", ""),
            ["t.yaml:3:1: metadata.owner: required field is missing"],
            id="no-owner",
        ),
        pytest.param(
            ("    model: gpt-4o-mini\n", "    model: gpt-4o-mini\n    template: chat-eu@1\n"),
            ["t.yaml:11:5: spec.fixed.template: unknown field 'template'"],
            id="template-in-a-template",
        ),
    ],
)
def test_malformed_templates_are_reported_at_their_own_lines(
    replacement: tuple[str, str], expected: list[str]
) -> None:
    with pytest.raises(SpecValidationError) as raised:
        load_text(edit(TEMPLATE, replacement), CATALOG, file="t.yaml")
    assert [problem.format() for problem in raised.value.problems] == expected


def test_a_workload_on_a_broken_template_reports_the_template_file_too() -> None:
    library = TemplateFolders([Path("tests/fixtures/templates/broken-library")])
    assert problems_of(edit(HR_CHAT, ("chat-eu@2", "chat-eu@1")), library) == [
        "tests/fixtures/templates/broken-library/chat-eu@1.yaml:8:1: spec: every workload "
        "needs 'traffic.peak_concurrency' (or 'traffic.batch'), but this template neither "
        "fixes, defaults nor lets a workload set it",
        "tests/fixtures/templates/broken-library/chat-eu@1.yaml:12:5: "
        "spec.overridable.traffic.peak_concurency: 'traffic.peak_concurency' is not a workload "
        "spec field; did you mean 'traffic.peak_concurrency'?",
        "w.yaml:7:13: spec.template: template 'chat-eu@1' is invalid; fix its file (problems "
        "listed with it)",
    ]


def test_file_name_and_metadata_must_agree() -> None:
    library = TemplateFolders([Path("tests/fixtures/templates/misnamed")])
    with pytest.raises(SpecValidationError) as raised:
        library.template("chat-eu", "3")
    assert [p.format() for p in raised.value.problems] == [
        "tests/fixtures/templates/misnamed/chat-eu@3.yaml:5:12: metadata.version: must match "
        "the file name (3)"
    ]


def test_one_version_in_two_folders_is_an_error(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "library" / "coder@1.yaml", tmp_path / "coder@1.yaml")
    library = TemplateFolders([FIXTURES / "library", tmp_path])
    with pytest.raises(SpecValidationError, match="coder@1 is published twice"):
        library.template("coder", "1")


def test_search_path_order_and_environment_variable(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    environ = {"INFERPLAN_TEMPLATE_PATH": f"{second}{os.pathsep}{first}"}
    found = template_search_path([first], environ=environ, cwd_templates=Path("templates"))
    assert found == (first, second, Path("templates"))  # each folder once, --templates first


def test_load_template_file_reads_the_one_template() -> None:
    template = load_template_file(FIXTURES / "library" / "coder@1.yaml")
    assert template.ref == "coder@1"
    assert template.required == ("traffic.peak_concurrency", "cost.max_monthly_usd")
    assert template.bounds["precision"].allowed == ("bf16", "fp8")  # BF16 normalised


# --- the repository's own templates and examples -------------------------------------------------


@pytest.fixture
def in_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("INFERPLAN_TEMPLATE_PATH", raising=False)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.mark.usefixtures("in_repository")
def test_examples_templates_and_stacks_validate_clean() -> None:
    result = run("validate", "examples", "templates", "stacks")
    assert result.exit_code == 0, result.stderr


@pytest.mark.usefixtures("in_repository")
@pytest.mark.parametrize(
    ("example", "template"),
    [
        pytest.param("eu-chat-managed.yaml", "chat-eu@3", id="managed-chat"),
        pytest.param("search-embeddings.yaml", "embeddings-eu@1", id="embeddings"),
        pytest.param("support-chat.yaml", "selfhosted-chat-eu@1", id="self-hosted-chat"),
        pytest.param("code-assistant.yaml", "code-assistant@1", id="code-assistant"),
    ],
)
def test_examples_record_their_template(example: str, template: str) -> None:
    from inferplan.cli.context import CliContext

    context = CliContext()
    (workload,) = load_file(
        Path("examples") / example, context.catalog_view, templates=context.templates
    )
    assert isinstance(workload, Workload)
    assert workload.template == template


@pytest.mark.usefixtures("in_repository")
def test_every_published_template_loads() -> None:
    templates, problems = TemplateFolders([Path("templates")]).load_all()
    assert problems == []
    assert sorted(t.ref for t in templates) == [
        "chat-eu@1",
        "chat-eu@2",
        "chat-eu@3",
        "code-assistant@1",
        "embeddings-eu@1",
        "selfhosted-chat-eu@1",
    ]


# --- the CLI -------------------------------------------------------------------------------------


@pytest.fixture
def library_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fixture library as ./templates of a fresh working directory."""
    shutil.copytree(FIXTURES / "library", tmp_path / "templates")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INFERPLAN_TEMPLATE_PATH", raising=False)
    return tmp_path


@pytest.mark.usefixtures("library_dir")
def test_list_text() -> None:
    result = run("templates", "list")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "NAME     LATEST  VERSIONS  OWNER          DESCRIPTION\n"
        "chat-eu  2       1, 2      platform-team  EU chat on Azure OpenAI, more regions and "
        "traffic.\n"
        "coder    1       1         platform-team  Internal code assistant, self-hosted.\n"
        "warning: chat-eu@1 fixes gpt-4o-mini 2024-07-18, which is deprecated: a new subscription "
        "cannot deploy it; use a workload on spec.model gpt-5.4-mini\n"
        "warning: chat-eu@2 fixes gpt-4o-mini 2024-07-18, which is deprecated: a new subscription "
        "cannot deploy it; use a workload on spec.model gpt-5.4-mini\n"
    )


@pytest.mark.usefixtures("library_dir")
def test_list_json() -> None:
    result = run("templates", "list", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)[0] == {
        "name": "chat-eu",
        "latest": "2",
        "versions": ["1", "2"],
        "owner": "platform-team",
        "description": "EU chat on Azure OpenAI, more regions and traffic.",
        "undeployable": [
            {
                "ref": f"chat-eu@{version}",
                "model": "gpt-4o-mini",
                "version": "2024-07-18",
                "stage": "deprecated",
                "use_template": None,
                "use_model": "gpt-5.4-mini",
            }
            for version in ("1", "2")
        ],
    }


@pytest.mark.usefixtures("library_dir")
def test_show_latest_text() -> None:
    result = run("templates", "show", "coder")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "coder@1 (latest): Internal code assistant, self-hosted.\n"
        "owner: platform-team\n"
        "file: templates/coder@1.yaml\n"
        "versions: 1\n"
        "\n"
        "fixed (a workload cannot change these):\n"
        "  model       llama-3.1-8b\n"
        "  deployment  aks-vllm\n"
        "\n"
        "defaults (a workload gets these unless it sets them):\n"
        "  precision                  [bf16]\n"
        "  context.max_input_tokens   4000\n"
        "  context.max_output_tokens  512\n"
        "\n"
        "overridable (a workload may set these, within the bounds):\n"
        "  FIELD                      BOUNDS                 WHY\n"
        "  precision                  subset of [bf16, fp8]  int8 and int4 lose too much on code.\n"
        "  context.max_input_tokens   <= 16000\n"
        "  context.max_output_tokens  <= 2048\n"
        "  traffic.peak_concurrency   <= 32\n"
        "  slo.ttft_p95_ms            300..3000\n"
        "  cost.max_monthly_usd       <= 10000\n"
        "\n"
        "required (a workload must set these):\n"
        "  traffic.peak_concurrency\n"
        "  cost.max_monthly_usd\n"
    )


@pytest.mark.usefixtures("library_dir")
def test_show_a_pinned_version_as_json() -> None:
    result = run("templates", "show", "chat-eu@1", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["ref"], data["latest"], data["versions"]) == ("chat-eu@1", "2", ["1", "2"])
    assert data["fixed"] == {
        "model": "gpt-4o-mini",
        "deployment": "azure-openai",
        "residency.geography": "eu",
        "residency.strict": True,
    }
    assert data["overridable"]["traffic.peak_concurrency"]["max"] == 64
    assert data["overridable"]["residency.regions"]["allowed"] == ["swedencentral"]
    assert data["required"] == ["context.max_input_tokens", "traffic.peak_concurrency"]


@pytest.mark.usefixtures("library_dir")
@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        pytest.param(
            "chat-ue",
            "chat-ue: unknown template 'chat-ue'; did you mean 'chat-eu'? (known: chat-eu, "
            "coder; searched templates/)\n",
            id="unknown-name",
        ),
        pytest.param(
            "chat-eu@9",
            "chat-eu@9: template 'chat-eu' has no version 9; published versions: 1, 2 "
            "(latest: chat-eu@2)\n",
            id="unknown-version",
        ),
    ],
)
def test_show_unknown_is_bad_input(reference: str, expected: str) -> None:
    result = run("templates", "show", reference)
    assert result.exit_code == 2
    assert result.stderr == expected


def test_list_reports_broken_files_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(FIXTURES / "misnamed", tmp_path / "templates")
    (tmp_path / "templates" / "notes.yaml").write_text("a: 1\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INFERPLAN_TEMPLATE_PATH", raising=False)
    result = run("templates", "list")
    assert result.exit_code == 2
    assert result.stderr == (
        "templates/chat-eu@3.yaml:5:12: metadata.version: must match the file name (3)\n"
        "templates/notes.yaml: not a template file name; name it <name>@<version>.yaml "
        "(chat-eu@2.yaml)\n"
    )


def test_templates_option_adds_a_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INFERPLAN_TEMPLATE_PATH", raising=False)
    result = run("--templates", str(FIXTURES / "library"), "templates", "show", "chat-eu@2")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("chat-eu@2 (latest): EU chat on Azure OpenAI")


@pytest.mark.usefixtures("in_repository")
def test_published_templates_on_a_deprecated_model_name_the_template_that_replaces_them() -> None:
    """chat-eu@1 and @2 fix gpt-4o-mini (deprecated: no new deployments); chat-eu@3 fixes a
    deployable model, so `templates list` and `templates show` point to it."""
    listed = run("templates", "list", "--format", "json")
    assert listed.exit_code == 0, listed.stderr
    (chat,) = [row for row in json.loads(listed.stdout) if row["name"] == "chat-eu"]
    assert [(f["ref"], f["stage"], f["use_template"]) for f in chat["undeployable"]] == [
        ("chat-eu@1", "deprecated", "chat-eu@3"),
        ("chat-eu@2", "deprecated", "chat-eu@3"),
    ]
    others = [row["undeployable"] for row in json.loads(listed.stdout) if row["name"] != "chat-eu"]
    assert others == [[], [], []]
    shown = run("templates", "show", "chat-eu@2")
    assert shown.exit_code == 0, shown.stderr
    assert shown.stdout.splitlines()[1] == (
        "warning: chat-eu@2 fixes gpt-4o-mini 2024-07-18, which is deprecated: a new subscription "
        "cannot deploy it; use chat-eu@3 or a workload on spec.model gpt-5.4-mini"
    )
    latest = run("templates", "show", "chat-eu", "--format", "json")
    assert json.loads(latest.stdout)["undeployable"] is None
