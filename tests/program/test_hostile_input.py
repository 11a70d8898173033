"""Hostile input and faults: every class refused with ``file:line:col`` and exit 2, no traceback,
no hang; internal faults exit 70; bounds on what Azure and Kubernetes can deploy.

Each test is one class of input a careless or malicious file can hold, written the smallest
way that showed the fault.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import ROOT

from inferplan.cli.main import main
from inputs.paths import resolve_workload_globs

SMALL = (ROOT / "examples" / "small-open-model.yaml").read_text(encoding="utf-8")
MANAGED = """\
apiVersion: inferplan/v1
kind: Workload
metadata: {name: managed-chat}
spec:
  model: gpt-4o-mini
  deployment: azure-openai
  context: {max_input_tokens: 2000, max_output_tokens: 400, avg_output_tokens: 100}
  traffic: {peak_concurrency: 8, peak_requests_per_minute: 60}
  residency: {regions: [swedencentral]}
"""
LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): ")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def refused(result: Result, file: Path) -> list[str]:
    """The problem lines of a run that must be bad input: exit 2, no exception, every line at
    ``file:line:col``."""
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if LINE.match(line)]
    assert lines, result.output
    assert all(LINE.match(line)["file"] == str(file) for line in lines), lines
    return lines


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder (its Pulumi.yaml marks the root) as the working directory."""
    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# --- 1-3: what the YAML reader refuses ----------------------------------------------------------


def nested_anchors(levels: int, width: int) -> str:
    """``levels`` anchors, each a list of ``width`` aliases to the one before: width**levels
    values from a few hundred bytes."""
    lines = ["a0: &a0 [" + ", ".join(["x"] * width) + "]"]
    lines += [f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * width) + "]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("levels", "width"),
    [
        pytest.param(9, 9, id="471-bytes-387-million-values"),
        pytest.param(10, 12, id="655-bytes-62-billion-values"),
    ],
)
def test_nested_anchors_are_refused_past_the_expansion_bound(
    project: Path, levels: int, width: int
) -> None:
    from inputs.yaml_source import MAX_ALIAS_EXPANSION

    path = write(project, "bomb.yaml", nested_anchors(levels, width) + SMALL)
    [line] = refused(run("validate", str(path)), path)
    assert f"aliases repeat more than {MAX_ALIAS_EXPANSION} values" in line


def test_anchors_and_merge_keys_within_the_bound_still_work(project: Path) -> None:
    text = edit(SMALL, "max_output_tokens: 200", "max_output_tokens: &answer 200")
    text = edit(text, "max_tokens: 200", "max_tokens: *answer")
    text = edit(text, "    peak_concurrency: 4\n", "    <<: {peak_concurrency: 4}\n")
    path = write(project, "anchors.yaml", text)
    result = run("validate", str(path))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "a: &a {b: 1, <<: *a}\n", "an alias refers to the collection", id="merge-itself"
        ),
        pytest.param("a: &a [*a]\n", "an alias refers to the collection", id="list-itself"),
        pytest.param("<<: 1\n", "'<<' (merge) needs a mapping", id="merge-a-number"),
    ],
)
def test_aliases_that_refer_to_themselves_are_refused(
    project: Path, text: str, message: str
) -> None:
    path = write(project, "self.yaml", text)
    [line] = refused(run("validate", str(path)), path)
    assert message in line


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("[" * 500 + "]" * 500 + "\n", id="500-lists"),
        pytest.param("a: " + "{b: " * 200 + "1" + "}" * 200 + "\n", id="200-mappings"),
        pytest.param(
            "".join(f"a{n}: &a{n} [*a{n - 1}]\n" if n else "a0: &a0 [x]\n" for n in range(300)),
            id="300-aliases-deep",
        ),
    ],
)
def test_deep_nesting_is_refused_not_a_recursion_error(project: Path, text: str) -> None:
    from inputs.yaml_source import MAX_NESTING_DEPTH

    path = write(project, "deep.yaml", text)
    [line] = refused(run("validate", str(path)), path)
    assert f"deeper than {MAX_NESTING_DEPTH} levels" in line


@pytest.mark.parametrize(
    ("header", "got"),
    [
        pytest.param("kind: {}", "a mapping", id="kind-mapping"),
        pytest.param("kind: [Workload]", "a list", id="kind-list"),
        pytest.param("kind: 1", "1", id="kind-number"),
        pytest.param("apiVersion: {v: 1}", "a mapping", id="api-version-mapping"),
    ],
)
def test_header_fields_of_the_wrong_type_are_named(project: Path, header: str, got: str) -> None:
    key = header.split(":")[0]
    text = re.sub(rf"^{key}: .*$", header, SMALL, count=1, flags=re.M)
    path = write(project, "w.yaml", text)
    lines = refused(run("validate", str(path)), path)
    assert any(f": {key}: must be a string" in line and f"got {got}" in line for line in lines)


def test_a_file_larger_than_any_spec_is_refused_before_it_is_parsed(project: Path) -> None:
    from inputs.yaml_source import MAX_FILE_BYTES

    path = write(project, "big.yaml", SMALL + "# padding\n" * (MAX_FILE_BYTES // 10))
    [line] = refused(run("validate", str(path)), path)
    assert line == f"{path}:1:1: file is larger than 1,048,576 bytes, more than any spec needs"


def test_a_file_of_too_many_documents_is_refused(project: Path) -> None:
    from inputs.yaml_source import MAX_DOCUMENTS

    path = write(project, "many.yaml", "---\nkind: x\n" * (MAX_DOCUMENTS + 1))
    [line] = refused(run("validate", str(path)), path)
    assert line.endswith(f"more than {MAX_DOCUMENTS} documents in one file; split it")


def test_a_number_too_long_for_python_is_refused(project: Path) -> None:
    path = write(
        project, "w.yaml", edit(SMALL, "peak_concurrency: 4", "peak_concurrency: " + "9" * 5000)
    )
    [line] = refused(run("validate", str(path)), path)
    assert "a number of 5000 digits is too long" in line


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param("subset_of: [swedencentral]", "subset_of: null", id="bound-subset-null"),
        pytest.param("    generation: {}", "    generation: {}\n  fixed2: 1", id="unknown-section"),
    ],
)
def test_null_where_a_list_is_bounded_is_a_message_not_a_crash(
    project: Path, old: str, new: str
) -> None:
    """Found by the fuzzer: a length bound applied to null raised TypeError (exit 70)."""
    text = (ROOT / "templates" / "chat-eu@1.yaml").read_text(encoding="utf-8")
    path = write(project, "templates/chat-eu@1.yaml", edit(text, old, new))
    result = run("validate", str(path))
    assert result.exit_code in (0, 2), result.output
    assert "internal error" not in result.output


def test_a_template_may_leave_stop_sequences_null(project: Path) -> None:
    text = (ROOT / "templates" / "chat-eu@1.yaml").read_text(encoding="utf-8")
    text = edit(text, "  defaults:\n", "  defaults:\n    generation: {stop: null}\n")
    path = write(project, "templates/chat-eu@1.yaml", text)
    result = run("validate", str(path))
    assert result.exit_code == 0, result.output


# --- 4: numbers validate accepts but sizing cannot use ------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        pytest.param(
            "peak_requests_per_minute: 30", "peak_requests_per_minute: .inf", "finite", id="rpm-inf"
        ),
        pytest.param(
            "peak_requests_per_minute: 30", "peak_requests_per_minute: .nan", "finite", id="rpm-nan"
        ),
        pytest.param(
            "peak_requests_per_minute: 30",
            "peak_requests_per_minute: 1e308",
            "at most 10000000",
            id="rpm-1e308",
        ),
        pytest.param("ttft_p95_ms: 1500", "ttft_p95_ms: .inf", "finite", id="ttft-inf"),
        pytest.param("ttft_p95_ms: 1500", "ttft_p95_ms: 1e308", "at most 600000", id="ttft-1e308"),
        pytest.param(
            "output_tokens_per_second_p50: 20",
            "output_tokens_per_second_p50: -.inf",
            "finite",
            id="tps-minus-inf",
        ),
        pytest.param(
            "output_tokens_per_second_p50: 20",
            "output_tokens_per_second_p50: 1e308",
            "at most 10000",
            id="tps-1e308",
        ),
        pytest.param(
            "peak_concurrency: 4",
            "peak_concurrency: 1000000000",
            "at most 1000000",
            id="concurrency-1e9",
        ),
        pytest.param(
            "peak_concurrency: 4",
            f"peak_concurrency: {10**29}",
            "at most 1000000",
            id="concurrency-1e29",
        ),
        pytest.param(
            "max_input_tokens: 3000",
            "max_input_tokens: 100000000000",
            "at most 10485760",
            id="tokens-1e11",
        ),
        pytest.param("availability: 99.5", "availability: .nan", "finite", id="availability-nan"),
        pytest.param("temperature: 0", "temperature: .nan", "finite", id="temperature-nan"),
    ],
)
def test_numbers_sizing_cannot_use_are_refused_by_validate(
    project: Path, old: str, new: str, message: str
) -> None:
    path = write(project, "w.yaml", edit(SMALL, old, new))
    lines = refused(run("validate", str(path)), path)
    assert any(message in line for line in lines), lines
    refused(run("plan", str(path)), path)  # and plan says the same, without sizing it


def test_every_numeric_field_documents_its_bounds_in_the_schema() -> None:
    """Each number of a workload or environment has a finite maximum in the JSON Schema
    (editors show it) and names its range in the description."""
    import json

    schema = json.loads((ROOT / "schema" / "inferplan.schema.json").read_text(encoding="utf-8"))
    numbers = []
    for name, definition in schema["$defs"].items():
        if name.startswith("Partial") or name == "Bound":
            continue
        for field, prop in definition.get("properties", {}).items():
            options = prop.get("anyOf", [prop])
            if any(o.get("type") in ("integer", "number") for o in options):
                numbers.append((name, field, options))
    assert len(numbers) > 10
    for name, field, options in numbers:
        numeric = next(o for o in options if o.get("type") in ("integer", "number"))
        # a closed set of values (an enum, e.g. a percentile) bounds itself
        bounded = {"maximum", "exclusiveMaximum", "enum"} & set(numeric)
        assert bounded, f"{name}.{field} has no maximum"


def test_a_managed_chat_answer_of_zero_tokens_is_refused(project: Path) -> None:
    path = write(project, "w.yaml", edit(MANAGED, "avg_output_tokens: 100", "avg_output_tokens: 0"))
    [line] = refused(run("validate", str(path)), path)
    assert (
        "spec.context.avg_output_tokens: chat model 'gpt-4o-mini' needs avg_output_tokens" in line
    )


# --- 5: load beyond what Azure and Kubernetes can deploy ----------------------------------------


@pytest.mark.parametrize(
    ("nodes", "replicas", "expected"),
    [
        pytest.param(1000, 8000, None, id="a-pool-that-may-grow-to-the-limit"),
        pytest.param(1001, 1001, "an AKS node pool holds at most 1,000", id="one-node-too-many"),
        pytest.param(8_900_000, 8_900_000, "holds at most 1,000", id="8.9-million-nodes"),
        pytest.param(1000, 2**31, "holds at most 2,147,483,647 (int32)", id="replicas-past-int32"),
    ],
)
def test_aks_pool_limits(nodes: int, replicas: int, expected: str | None) -> None:
    from sizing.deploy.azure_limits import aks_pool_limit

    reason = aks_pool_limit(nodes_per_pool=nodes, replicas_per_region=replicas)
    assert (reason is None) if expected is None else (expected in reason)


def _on_pool(workload, *, sku: str, ceiling: int, name: str):
    import dataclasses

    aks = dataclasses.replace(workload.aks, vm_sku=sku, max_nodes_per_region=ceiling)
    return dataclasses.replace(workload, name=name, aks=aks)


def test_workloads_sharing_a_pool_add_up_against_the_pool_limit(dev_plan) -> None:
    from sizing.deploy.azure_limits import environment_limits
    from sizing.deploy.node_pools import node_pools

    [gpu] = [w for w in dev_plan.workloads if w.aks is not None]
    region = gpu.regions[0]
    half = [_on_pool(gpu, sku="Standard_X", ceiling=500, name=f"w{n}") for n in range(2)]
    assert environment_limits(node_pools(half)) == []
    over = [*half, _on_pool(gpu, sku="Standard_X", ceiling=1, name="w3")]
    [pool] = [p for p in node_pools(over) if p.region == region]
    assert (pool.max_count, pool.workloads) == (1001, ("w0", "w1", "w3"))
    [violation] = environment_limits(node_pools(over))
    assert (violation.kind, violation.planned, violation.limit) == ("pool-nodes", 1001, 1000)
    assert (violation.region, violation.vm_sku) == (region, "Standard_X")
    assert violation.message == (
        f"the Standard_X pool in {region} may grow to 1,001 nodes; an AKS node pool holds at "
        "most 1,000 [aks-quotas]"
    )


def test_a_cluster_holds_at_most_100_pools_and_5000_nodes(dev_plan) -> None:
    from sizing.deploy.azure_limits import environment_limits
    from sizing.deploy.node_pools import node_pools

    [gpu] = [w for w in dev_plan.workloads if w.aks is not None]
    region = gpu.regions[0]
    pools = [_on_pool(gpu, sku=f"Standard_{n}", ceiling=60, name=f"w{n}") for n in range(100)]
    violations = environment_limits(node_pools(pools))
    assert [(v.kind, v.planned, v.limit, v.region) for v in violations] == [
        ("cluster-pools", 101, 100, region),
        ("cluster-nodes", 6000, 5000, region),
    ]
    assert [v.message for v in violations] == [
        f"the cluster in {region} needs 101 node pools; AKS allows 100 [aks-quotas]",
        f"the cluster in {region} may grow to 6,000 GPU nodes; AKS allows 5,000 per cluster "
        "[aks-quotas]",
    ]


def test_azure_openai_capacity_past_int32_cannot_be_deployed() -> None:
    from sizing.deploy.azure_limits import deployment_capacity_limit

    assert deployment_capacity_limit(2**31 - 1, "kTPM") is None
    assert "at most 2,147,483,647 (int32)" in deployment_capacity_limit(2**31, "kTPM")


def test_a_load_no_node_pool_can_hold_is_an_infeasible_plan(project: Path) -> None:
    """A million concurrent requests on a 70B model: more nodes than one AKS pool holds. The
    plan says so and exits 1; no AgentPool of millions of nodes reaches preview or check."""
    text = (ROOT / "examples" / "long-context.yaml").read_text(encoding="utf-8")
    text = re.sub(r"peak_concurrency: \d+", "peak_concurrency: 1000000", text)
    text = re.sub(r"peak_requests_per_minute: \d+", "peak_requests_per_minute: 10000000", text)
    text = re.sub(r"max_monthly_usd: \d+", "max_monthly_usd: 1000000000", text)
    path = write(project, "w.yaml", text)
    result = run("plan", str(path), "--explain")
    assert result.exit_code == 1, result.output
    assert "an AKS node pool holds at most 1,000" in result.stdout
    assert "lower traffic.peak_concurrency" in result.stdout


# --- 6: workload globs stay in the project -------------------------------------------------------

ENVIRONMENT = """\
apiVersion: inferplan/v1
kind: Environment
metadata: {name: dev}
spec:
  location: westeurope
  workloads: [%s]
  gateway: {tier: Developer, publisher_email: a@example.com, publisher_name: A}
"""


@pytest.mark.parametrize(
    "pattern",
    [
        pytest.param("'../../../../**/*.x'", id="walk-the-disk"),
        pytest.param("'../../outside/*.yaml'", id="another-project"),
        pytest.param("'../../outside/secret.yaml'", id="a-plain-path-out"),
        pytest.param("'../workloads/../../outside/*.yaml'", id="down-then-out"),
    ],
)
def test_workload_globs_that_leave_the_project_are_refused_unread(
    project: Path, pattern: str
) -> None:
    outside = project.parent / "outside"
    write(outside, "secret.yaml", "password: hunter2-do-not-echo\n")
    path = write(project, "stacks/dev.yaml", ENVIRONMENT % pattern)
    [line] = refused(run("validate", str(path)), path)
    assert "leaves the project" in line
    assert "hunter2" not in line


def test_a_symbolic_link_out_of_the_project_matches_nothing(project: Path) -> None:
    outside = project.parent / "outside-link-target"
    write(outside, "w.yaml", SMALL)
    (project / "workloads").mkdir()
    (project / "workloads" / "w.yaml").symlink_to(outside / "w.yaml")
    path = write(project, "stacks/dev.yaml", ENVIRONMENT % "'../workloads/*.yaml'")
    [line] = refused(run("validate", str(path)), path)
    assert "matches no file" in line


def test_globs_inside_the_project_still_climb_out_of_stacks(project: Path) -> None:
    write(project, "workloads/w.yaml", SMALL)
    path = write(project, "stacks/dev.yaml", ENVIRONMENT % "'../workloads/*.yaml'")
    result = run("validate", str(path))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("target", ["..", ".", "../.."], ids=["up", "itself", "out"])
def test_double_star_does_not_follow_folder_links(project: Path, target: str) -> None:
    """A link back up the tree made ``**`` loop (31 s for one, two never ended); one out of it
    read another tree. Wildcards never enter a folder link; a file is found once."""
    import time

    write(project, "workloads/team/w.yaml", SMALL)
    (project / "workloads" / "team" / "loop").symlink_to(target, target_is_directory=True)
    (project / "workloads" / "again").symlink_to("team", target_is_directory=True)
    started = time.perf_counter()
    found = resolve_workload_globs(project / "stacks", "../workloads/**/*.yaml", root=project)
    assert time.perf_counter() - started < 5
    assert found == [project / "workloads" / "team" / "w.yaml"]
    path = write(project, "stacks/dev.yaml", ENVIRONMENT % "'../**/w.yaml'")
    assert run("validate", str(path)).exit_code == 0


def test_a_folder_link_named_without_wildcards_is_still_followed(project: Path) -> None:
    write(project, "shared/w.yaml", SMALL)
    (project / "workloads").symlink_to(project / "shared", target_is_directory=True)
    assert resolve_workload_globs(project / "stacks", "../workloads/*.yaml") == [
        project / "workloads" / "w.yaml"
    ]


@pytest.mark.parametrize("folder", ["/", "..", "~"])
def test_a_folder_outside_any_project_is_not_walked(project: Path, folder: str) -> None:
    """``validate /`` read every YAML file on the disk. A folder on the command line must be
    in a project (Pulumi.yaml or .git in it or above) or in the current one, as globs are."""
    import os

    result = run("validate", os.path.expanduser(folder))
    assert result.exit_code == 2, result.output
    assert "outside any project" in result.stderr
    assert "file(s) checked" in result.stderr and "0 file(s)" in result.stderr


def test_folders_in_the_project_or_another_project_are_still_walked(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    write(project, "workloads/w.yaml", SMALL)
    other = tmp_path_factory.mktemp("other")
    (other / ".git").mkdir()
    write(other, "specs/w.yaml", SMALL)
    result = run("validate", "workloads", str(other / "specs"))
    assert result.exit_code == 0, result.output


# --- 4: template files validate as their users read them ------------------------------------


TEMPLATE = (ROOT / "templates" / "chat-eu@1.yaml").read_text(encoding="utf-8")


def test_a_template_file_of_two_documents_is_refused_by_validate(project: Path) -> None:
    path = write(project, "templates/chat-eu@1.yaml", TEMPLATE + "---\n" + TEMPLATE)
    [line] = refused(run("validate", str(path)), path)
    assert "a template file holds exactly one document" in line
    assert int(LINE.match(line)["line"]) > TEMPLATE.count("\n")  # at the second document


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("      min: 1\n", "      min: -5\n", "min -5 is not a valid traffic.peak_concurrency"),
        ("      max: 64\n", "      max: 0\n", "max 0 is not a valid traffic.peak_concurrency"),
        ("{max: 2000}", "{min: -100}", "min -100 is not a valid context.max_output_tokens"),
        ("      min: 500\n", "      min: 9000\n", "min 9000 is more than max 8000"),
    ],
    ids=["negative-min", "max-below-the-field", "negative-tokens", "inverted"],
)
def test_template_bounds_no_workload_value_could_meet_are_refused(
    project: Path, old: str, new: str, expected: str
) -> None:
    path = write(project, "templates/chat-eu@1.yaml", edit(TEMPLATE, old, new))
    lines = refused(run("validate", str(path)), path)
    assert any(expected in line for line in lines), lines


# --- 1: a tag on the root mapping, in every reader -----------------------------------------------


ROOT_TAGS = ["--- !foo\n", "!bar\n", "--- !!omap\n"]


@pytest.mark.parametrize("tag", ROOT_TAGS)
@pytest.mark.parametrize("reader", ["workload", "template", "environment"])
def test_a_tag_on_the_root_mapping_is_bad_input(project: Path, tag: str, reader: str) -> None:
    texts = {
        "workload": ("w.yaml", SMALL),
        "template": ("templates/chat-eu@1.yaml", (ROOT / "templates/chat-eu@1.yaml").read_text()),
        "environment": ("stacks/dev.yaml", ENVIRONMENT % "'../w.yaml'"),
    }
    name, text = texts[reader]
    write(project, "w.yaml", SMALL)
    path = write(project, name, tag + text)
    [line] = refused(run("validate", str(path)), path)
    assert "unsupported YAML tag" in line


@pytest.mark.parametrize("tag", ROOT_TAGS)
def test_a_tag_on_the_root_of_a_catalog_file_is_bad_input(tmp_path: Path, tag: str) -> None:
    (tmp_path / "extra.yaml").write_text(tag + "kind: vm_skus\nitems: []\n", encoding="utf-8")
    result = run("--catalog", str(tmp_path), "validate", str(ROOT / "examples"))
    assert result.exit_code == 2, result.output
    assert "extra.yaml:" in result.stderr and "unsupported YAML tag" in result.stderr


@pytest.mark.parametrize("tag", ROOT_TAGS)
def test_a_tag_on_the_root_of_a_stack_config_is_bad_input(tmp_path: Path, tag: str) -> None:
    from inferplan.offline.stack_config import read_stack_config
    from inputs.errors import SpecSyntaxError

    (tmp_path / "Pulumi.dev.yaml").write_text(tag + "config: {}\n", encoding="utf-8")
    with pytest.raises(SpecSyntaxError, match="unsupported YAML tag"):
        read_stack_config("dev", root=tmp_path)


# --- 7: check and an old Kubernetes version -----------------------------------------------------


@pytest.mark.parametrize(
    ("version", "severity"),
    [
        pytest.param("1.20", "mandatory", id="older-than-any-schema"),
        pytest.param("1.9", "mandatory", id="one-digit-minor"),
        pytest.param("2.0", "advisory", id="newer-than-any-schema"),
    ],
)
def test_a_kubernetes_version_without_schemas_is_a_finding(version: str, severity: str) -> None:
    from inferplan.review.checks import validate_manifests

    files = {"kubernetes/w.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: w}\n"}
    findings, _ = validate_manifests(files, version)
    [finding] = findings
    assert finding.severity == severity
    assert f"Kubernetes {version} is outside the versions" in finding.message


def test_a_supported_version_is_still_validated() -> None:
    from inferplan.review.checks import validate_manifests

    files = {"kubernetes/w.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: w}\n"}
    assert validate_manifests(files, "1.31") == ([], [])


# --- 8: render --out ------------------------------------------------------------------------------


def test_render_keeps_files_it_did_not_write(tmp_path: Path) -> None:
    from inferplan.cli.output_files import RENDER_MANIFEST, replace_rendered_tree

    out = tmp_path / "out"
    replace_rendered_tree(out, {"kubernetes/a.yaml": "a\n", "apim/p.xml": "<p/>\n"}, stack="s")
    write(out, "kubernetes/important.yaml", "mine\n")
    write(out, "notes.md", "mine too\n")
    # The next render has no AKS workload: its own kubernetes/a.yaml goes, the user's stay.
    replace_rendered_tree(out, {"apim/p.xml": "<p2/>\n"}, stack="s")
    assert (out / "kubernetes" / "important.yaml").read_text() == "mine\n"
    assert (out / "notes.md").read_text() == "mine too\n"
    assert not (out / "kubernetes" / "a.yaml").exists()
    assert (out / "apim" / "p.xml").read_text() == "<p2/>\n"
    assert RENDER_MANIFEST in {p.name for p in out.iterdir()}


def test_render_leaves_no_empty_folder_of_its_own(tmp_path: Path) -> None:
    from inferplan.cli.output_files import replace_rendered_tree

    out = tmp_path / "out"
    replace_rendered_tree(out, {"kubernetes/a.yaml": "a\n"}, stack="s")
    replace_rendered_tree(out, {"alerts/r.json": "{}\n"}, stack="s")
    assert sorted(p.name for p in out.iterdir()) == [".inferplan-render.json", "alerts"]


@pytest.mark.parametrize("failing_rename", [1, 2], ids=["first-rename", "second-rename"])
def test_a_render_killed_during_the_swap_leaves_the_old_one_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing_rename: int
) -> None:
    """Whatever fails, readers see all the old files or all the new ones, never a mix."""
    import os

    from inferplan.cli import output_files

    out = tmp_path / "out"
    old = {"kubernetes/a.yaml": "old\n", "apim/p.xml": "old\n", "alerts/r.json": "old\n"}
    new = {"kubernetes/a.yaml": "new\n", "apim/p.xml": "new\n", "alerts/r.json": "new\n"}
    output_files.replace_rendered_tree(out, old, stack="s")
    calls = []
    real_rename = os.rename

    def rename(src, dst):
        calls.append(src)
        if len(calls) == failing_rename:
            raise KeyboardInterrupt
        real_rename(src, dst)

    monkeypatch.setattr(output_files.os, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        output_files.replace_rendered_tree(out, new, stack="s")
    monkeypatch.setattr(output_files.os, "rename", real_rename)
    assert {rel: (out / rel).read_text() for rel in old} == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # nothing left beside it


def test_a_render_killed_between_the_renames_is_repaired_by_the_next(tmp_path: Path) -> None:
    from inferplan.cli.output_files import replace_rendered_tree

    out = tmp_path / "out"
    replace_rendered_tree(out, {"apim/p.xml": "old\n"}, stack="s")
    out.rename(tmp_path / ".out.previous-x1")  # what SIGKILL after the first rename leaves
    replace_rendered_tree(out, {"apim/p.xml": "new\n"}, stack="s")
    assert (out / "apim" / "p.xml").read_text() == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_render_end_to_end_keeps_a_users_file(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    out = tmp_path / "out"
    write(out, "kubernetes/important.yaml", "mine\n")
    result = run("render", "dev", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert (out / "kubernetes" / "important.yaml").read_text() == "mine\n"
    assert any((out / "apim").iterdir())


# --- 9: no-plain-secrets and stack config --------------------------------------------------------


def test_the_offline_run_reads_the_stack_config_and_a_token_secret_is_not_plain(
    tmp_path: Path, monkeypatch
) -> None:
    """With ``inferplan:hfToken`` set (encrypted, as `pulumi config set --secret` writes it),
    the program adds an hf-token Secret; the rule sees its stringData wrapped as a secret."""
    import shutil

    from inferplan.offline.capture import SECRET
    from inferplan.offline.stack_run import SECURE_PLACEHOLDER, run_stack_offline, stack_config
    from inferplan.review.checks import evaluate

    for name in ("stacks", "examples", "templates"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "Pulumi.dev.yaml").write_text(
        "config:\n  azure-native:location: swedencentral\n"
        "  inferplan:hfToken:\n    secure: v1:c2VjcmV0:AAABBB==\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    assert stack_config("dev", root=tmp_path) == {
        "azure-native:location": "swedencentral",
        "inferplan:hfToken": SECURE_PLACEHOLDER,
    }
    run = run_stack_offline("dev", root=tmp_path)
    [secret] = run.capture.of_type("kubernetes:core/v1:Secret")
    assert secret.inputs["stringData"] == {SECRET: {"token": SECURE_PLACEHOLDER}}
    findings = evaluate(run.plan, run.capture, "dev", root=tmp_path)
    assert [f for f in findings if f.rule == "no-plain-secrets"] == []


def test_a_secret_with_a_plain_value_is_still_found() -> None:
    from inferplan.offline.capture import SECRET
    from policies.rules import check_no_plain_secrets
    from policies.view import ResourceView

    secret = {"kind": "Secret", "stringData": {"token": "hf_plain", "other": {SECRET: "x"}}}
    view = ResourceView(
        type="kubernetes:core/v1:Secret", name="s", inputs=secret, secrets_marked=True
    )
    assert list(check_no_plain_secrets(view, None)) == [
        "kubernetes:core/v1:Secret::s: Secret stringData.token is a plain input, not a Pulumi "
        "secret."
    ]


# --- 10: internal errors and sizing's own refusals ------------------------------------------------


def test_an_internal_error_is_one_line_and_exit_70(monkeypatch) -> None:
    from sizing import planner as planning

    def broken(*args, **kwargs):
        raise ZeroDivisionError("float division by zero")

    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("INFERPLAN_DEBUG", raising=False)
    monkeypatch.setattr(planning, "plan_workload", broken)
    result = run("plan", "examples/small-open-model.yaml")
    assert result.exit_code == 70
    assert isinstance(result.exception, SystemExit)
    assert result.stderr.splitlines() == [
        "internal error: ZeroDivisionError: float division by zero. This is a bug in inferplan, "
        "not a problem in your input; rerun with --debug (or INFERPLAN_DEBUG=1) for the "
        "traceback and report it."
    ]


@pytest.mark.parametrize(
    ("args", "env"),
    [
        pytest.param(("--debug",), {}, id="flag"),
        pytest.param((), {"INFERPLAN_DEBUG": "1"}, id="env"),
    ],
)
def test_debug_shows_the_traceback(monkeypatch, args: tuple[str, ...], env: dict) -> None:
    from sizing import planner as planning

    def broken(*args, **kwargs):
        raise ZeroDivisionError("float division by zero")

    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(planning, "plan_workload", broken)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = run(*args, "plan", "examples/small-open-model.yaml")
    assert isinstance(result.exception, ZeroDivisionError)


def test_a_sizing_refusal_is_bad_input_at_the_workload(monkeypatch) -> None:
    from sizing import planner as planning
    from sizing.azure_openai.offers import InvalidAzureOpenAITrafficError

    def refuses(*args, **kwargs):
        raise InvalidAzureOpenAITrafficError("peak_requests_per_minute is out of range")

    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(planning, "plan_workload", refuses)
    result = run("plan", "examples/small-open-model.yaml")
    assert result.exit_code == 2
    spec_line = SMALL.splitlines().index("spec:") + 1
    assert result.stderr.splitlines() == [
        f"examples/small-open-model.yaml:{spec_line}:1: spec: cannot be sized: "
        "peak_requests_per_minute is out of range"
    ]


# --- 11: CSV formula injection ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        pytest.param('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")', id="equals"),
        pytest.param("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0", id="plus"),
        pytest.param("-2+3", "'-2+3", id="minus-formula"),
        pytest.param("@SUM(A1)", "'@SUM(A1)", id="at"),
        pytest.param("\tx", "'\tx", id="tab"),
        pytest.param("-1", "-1", id="a-negative-number-stays"),
        pytest.param("+2.5e3", "+2.5e3", id="a-signed-number-stays"),
        pytest.param("llama-3.1-8b", "llama-3.1-8b", id="a-plain-name-stays"),
    ],
)
def test_spreadsheet_safe(cell: str, written: str) -> None:
    from inferplan.cli.csv_cells import spreadsheet_safe

    assert spreadsheet_safe(cell) == written


def test_estimate_cases_never_echoes_a_formula(tmp_path: Path, monkeypatch) -> None:
    import csv
    import io

    monkeypatch.chdir(ROOT)
    cases = tmp_path / "cases.csv"
    cases.write_text(
        "model,gpu,tp,precision,input_tokens,output_tokens,concurrency\n"
        '"=HYPERLINK(""http://evil"")",h100-sxm,1,bf16,100,10,\n'
        "llama-3.1-8b,@gpu,1,bf16,100,10,\n",
        encoding="utf-8",
    )
    result = run("estimate", "--cases", str(cases))
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    cells = [cell for row in rows[1:] for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "@")]
    assert rows[1][0] == '\'=HYPERLINK("http://evil")'
    assert rows[2][1] == "'@gpu"


# --- 5: exit codes, output links, credentials ----------------------------------------------------


def test_preview_json_of_a_stack_that_cannot_be_deployed_is_json_at_exit_1() -> None:
    import json

    stack = ROOT / "tests" / "fixtures" / "plan" / "capped-stack" / "env.yaml"
    result = run("preview", str(stack), "--format", "json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["resources"] == [] and data["exports"] == {}
    assert any("exceeds the environment cap" in reason for reason in data["blocked"])
    assert data["plan"]["feasible"] is False


@pytest.mark.parametrize("command", ["validate", "plan", "preview", "estimate"])
def test_ctrl_c_exits_130_not_the_code_for_an_unmet_slo(monkeypatch, command: str) -> None:
    import inputs.yaml_source

    def interrupted(*args, **kwargs):  # Ctrl-C while the command reads its first file
        raise KeyboardInterrupt

    monkeypatch.setattr(inputs.yaml_source, "_read_text", interrupted)
    monkeypatch.setattr("sizing.performance.cases.run_case", interrupted)
    args = {
        "validate": ["validate", "examples"],
        "plan": ["plan", "examples"],
        "preview": ["preview", "dev"],
        "estimate": [
            *("estimate", "--model", "llama-3.1-8b-instruct", "--gpu", "h100-sxm"),
            *("--input-tokens", "100", "--output-tokens", "10"),
        ],
    }[command]
    result = run(*args)
    assert result.exit_code == 130, result.output
    assert "interrupted" in result.stderr and "Traceback" not in result.output


def test_render_into_a_link_writes_through_and_keeps_the_link(tmp_path: Path) -> None:
    from inferplan.cli.output_files import replace_rendered_tree

    target = tmp_path / "real"
    target.mkdir()
    link = tmp_path / "out"
    link.symlink_to(target, target_is_directory=True)
    replace_rendered_tree(link, {"apim/p.xml": "one\n"}, stack="s")
    replace_rendered_tree(link, {"apim/p.xml": "two\n"}, stack="s")
    assert link.is_symlink()
    assert (target / "apim" / "p.xml").read_text() == "two\n"
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(NotADirectoryError):
        replace_rendered_tree(dangling, {"apim/p.xml": "x\n"}, stack="s")
    assert dangling.is_symlink()


def test_a_token_in_plain_pulumi_config_never_reaches_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``pulumi config set inferplan:hfToken hf_...`` without --secret: the offline run gets the
    placeholder, marked secret, so the capture and the result cache hold no token."""
    import shutil

    from inferplan.offline.cache import ResultCache
    from inferplan.offline.stack_run import SECURE_PLACEHOLDER, run_stack_offline

    for name in ("stacks", "examples", "templates"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    token = "hf_PLAINTEXTtoken0123456789"
    (tmp_path / "Pulumi.dev.yaml").write_text(
        f"config:\n  inferplan:hfToken: {token}\n  inferplan:dockerHubToken: dckr_{token}\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    cache = ResultCache(tmp_path / "cache")
    stack_run = run_stack_offline("dev", root=tmp_path, cache=cache)
    [secret] = stack_run.capture.of_type("kubernetes:core/v1:Secret")
    assert token not in repr(secret.inputs)
    assert SECURE_PLACEHOLDER in repr(secret.inputs)
    stored = [p.read_text(encoding="utf-8") for p in (tmp_path / "cache").rglob("*.json")]
    assert stored and not any(token in text for text in stored)


# --- 7: the reason given is the one that binds ---------------------------------------------------


FAST_MANAGED = """\
apiVersion: inferplan/v1
kind: Workload
metadata: {name: fast-chat}
spec:
  model: gpt-4o
  deployment: azure-openai
  context: {max_input_tokens: 2000, max_output_tokens: 400, avg_output_tokens: 100}
  traffic: {peak_concurrency: 8, peak_requests_per_minute: 60}
  slo: {ttft_p95_ms: 2000, output_tokens_per_second_p50: 200, availability: 99.9}
  residency: {geography: eu, strict: true}
"""


def test_an_infeasible_managed_workload_names_what_binds_among_eligible_types(
    project: Path,
) -> None:
    """Strict residency rules out Global types, but tokens/s is what binds the types it
    allows: say that, and offer the relaxation (as the AKS side does)."""
    import json

    path = write(project, "w.yaml", FAST_MANAGED)
    result = run("plan", str(path), "--format", "json")
    assert result.exit_code == 1, result.output
    [workload] = json.loads(result.stdout)["workloads"]
    assert "Global deployment types" not in workload["infeasible_reason"]
    assert "200 tokens/s per request is not reachable for gpt-4o" in workload["infeasible_reason"]
    assert "residency allows" in workload["infeasible_reason"]
    assert workload["nearest_relaxation"].startswith("relax slo.output_tokens_per_second_p50 to ")


def test_residency_outside_the_allowed_regions_is_bad_input_at_the_workload(
    project: Path,
) -> None:
    workload = write(project, "workloads/w.yaml", MANAGED)  # residency: [swedencentral]
    limits = "limits: {allowed_regions: [westeurope]}\n  gateway:"
    environment = ENVIRONMENT.replace("gateway:", limits)
    path = write(project, "stacks/dev.yaml", environment % "'../workloads/w.yaml'")
    result = run("validate", str(path))
    [line] = refused(result, workload)
    assert line.startswith(f"{workload}:{lines_of(MANAGED, 'residency')}:")
    assert "limits.allowed_regions (westeurope)" in line
    assert "not offered in" not in result.output


def lines_of(text: str, start: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.strip().startswith(start))


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "    peak_requests_per_minute: 30",
            "     peak_requests_per_minute: 30",
            "line 22 is indented 5 spaces, line 21 above it 4",
        ),
        (
            "    peak_requests_per_minute: 30",
            "   peak_requests_per_minute: 30",
            "line 22 is indented 3 spaces, line 21 above it 4",
        ),
    ],
    ids=["deeper", "between-levels"],
)
def test_an_indentation_error_says_which_lines_disagree(
    project: Path, old: str, new: str, expected: str
) -> None:
    assert SMALL.splitlines()[21] == old  # line 22
    path = write(project, "w.yaml", edit(SMALL, old, new))
    [line] = refused(run("validate", str(path)), path)
    assert line.startswith(f"{path}:22:")
    assert expected in line
