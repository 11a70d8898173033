"""Guardrail checks of a stack: policy rules over the offline capture, kubernetes-validate and
checkov over the rendered manifests, as one list of findings.

* ``evaluate(plan, capture, environment)``: the policy rules of ``policies.rules`` only, in
  process and fast (no subprocess); what ``inferplan diff`` and other commands call.
* ``run_check(stack)``: everything ``inferplan check`` reports: plans the stack, captures its
  program under mocks (the same run ``preview`` makes), evaluates the rules, validates every
  rendered Kubernetes object against the environment's Kubernetes version (strict schemas;
  custom resources have no schema and are listed in a note) and runs checkov, from its own
  environment, over the rendered manifests with inferplan's custom checks.

Enforcement levels: each rule's default, overridden per environment in the stack's
``Pulumi.<stack>.yaml`` under ``inferplan:policyEnforcement`` (rule name -> mandatory, advisory
or disabled; docs/policies.md). checkov and schema failures are always mandatory: a built-in
check either passes or is skipped in the manifest with a written reason.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml

if TYPE_CHECKING:
    from inferplan.offline.registrations import Capture
    from policies.view import Level, PolicyContext, ResourceView
    from sizing.plan import Plan

Severity = Literal["mandatory", "advisory"]
Source = Literal["policy", "checkov", "kubernetes-validate"]

ENFORCEMENT_CONFIG_KEY = "inferplan:policyEnforcement"  # in Pulumi.<stack>.yaml
CHECKOV_ENV_VAR = "INFERPLAN_CHECKOV"  # path of the checkov executable, if not the default
CHECKOV_VENV = ".venv-checkov"  # what ./dev creates from requirements-checkov.lock
CHECKOV_TIMEOUT_S = 300
KUBERNETES_DIR = "kubernetes/"

# Fixes for inferplan's own checkov checks (policies/checkov/vllm_checks.py).
CHECKOV_FIXES = {
    "CKV_LLM_1": "Mount an emptyDir with medium: Memory at /dev/shm in the vLLM container.",
    "CKV_LLM_2": (
        "Set nvidia.com/gpu requests = limits = --tensor-parallel-size (the plan's "
        "AksPlan.tensor_parallel)."
    ),
    "CKV_LLM_3": "Pass --max-model-len (the plan's AksPlan.max_model_len) to vLLM.",
    "CKV_LLM_4": (
        "Pin the vLLM image to a version tag or digest (sizing/catalog/data/images.yaml)."
    ),
}
CHECKOV_DEFAULT_FIX = (
    "Change the manifest in the component that builds it (components/), or, where the check "
    "does not apply, skip it on the object with a reason: "
    "metadata.annotations checkov.io/skipN: CHECK_ID=<reason>."
)


@dataclass(frozen=True)
class Finding:
    rule: str
    resource: str
    severity: Severity
    message: str
    fix: str
    source: Source


@dataclass(frozen=True)
class CheckReport:
    """What ``inferplan check`` prints: findings (mandatory first), plus notes on what was not
    checked and why (custom resources without a schema, checkov skips with reasons)."""

    stack: str
    findings: tuple[Finding, ...]
    notes: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()  # what ran
    resources: int = 0  # captured resources the policy rules saw
    manifests: int = 0  # Kubernetes objects validated and scanned
    plan: Plan | None = field(default=None, compare=False, repr=False)  # the plan checked

    @property
    def mandatory(self) -> int:
        return sum(1 for f in self.findings if f.severity == "mandatory")

    @property
    def advisory(self) -> int:
        return sum(1 for f in self.findings if f.severity == "advisory")

    @property
    def exit_code(self) -> int:
        """1 on any mandatory finding, else 0 (the CLI's contract)."""
        return 1 if self.mandatory else 0

    def summary(self) -> str:
        verdict = "FAILED" if self.mandatory else "passed"
        return (
            f"stack {self.stack}: {verdict}: {self.mandatory} mandatory, {self.advisory} "
            f"advisory finding(s) over {self.resources} resources and {self.manifests} "
            f"Kubernetes objects ({', '.join(self.sources) or 'nothing ran'})"
        )


def _sorted(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    order = {"mandatory": 0, "advisory": 1}
    return tuple(sorted(findings, key=lambda f: (order[f.severity], f.source, f.rule, f.resource)))


# --- policy rules --------------------------------------------------------------------------------


def views_from_capture(capture: Capture) -> list[ResourceView]:
    """The captured registrations as the rules see them (component resources included: the
    rules attribute resources to workloads through their parents)."""
    from policies.view import ResourceView

    return [
        ResourceView(
            type=r.type,
            name=r.name,
            inputs=r.inputs,
            options=r.options(),
            parent=r.parent,
            urn=r.urn,
            secrets_marked=True,
        )
        for r in capture.resources
    ]


def stack_enforcement(stack: str, *, root: Path = Path()) -> dict[str, Level]:
    """The environment's overrides from ``Pulumi.<stack>.yaml``; empty when there are none.

    A level that is not mandatory, advisory or disabled, or an unknown rule, is a user
    mistake (``SpecValidationError``, exit 2).
    """
    from inputs.errors import Problem, SpecValidationError
    from inputs.yaml_source import read_documents
    from policies.rules import RENAMED, RULES_BY_NAME
    from policies.view import LEVELS

    path = root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        return {}
    documents = read_documents(path)  # line-aware: syntax, encoding and duplicate keys reported
    data = documents[0].data if documents and isinstance(documents[0].data, Mapping) else {}
    raw = (data.get("config") or {}).get(ENFORCEMENT_CONFIG_KEY) or {}
    if isinstance(raw, Mapping) and "value" in raw and isinstance(raw["value"], Mapping):
        raw = raw["value"]  # the long form Pulumi also accepts: {value: {...}}
    field_name = f"config.{ENFORCEMENT_CONFIG_KEY}"
    if not isinstance(raw, Mapping):
        raise SpecValidationError(
            [Problem(str(path), 0, 0, field_name, "expected a map of rule name to level")]
        )
    problems = []
    levels: dict[str, Level] = {}
    for named, level in raw.items():
        rule = RENAMED.get(named, named)
        if rule not in RULES_BY_NAME:
            problems.append(
                Problem(
                    str(path),
                    0,
                    0,
                    f"{field_name}.{named}",
                    f"no policy rule named {named!r} (known: {', '.join(RULES_BY_NAME)})",
                )
            )
        elif level not in LEVELS:
            problems.append(
                Problem(
                    str(path),
                    0,
                    0,
                    f"{field_name}.{named}",
                    f"level {level!r} is not one of {', '.join(LEVELS)}",
                )
            )
        else:
            levels[rule] = level
    if problems:
        raise SpecValidationError(problems)
    return levels


def policy_context(
    plan: Plan,
    environment: str,
    *,
    enforcement: Mapping[str, Level] | None = None,
    root: Path = Path(),
) -> PolicyContext:
    """The rules' context for ``environment``; overrides from ``Pulumi.<environment>.yaml``
    under ``root`` unless ``enforcement`` is given, and the config keys that file sets."""
    from inferplan.offline.stack_config import read_stack_config
    from policies.view import context_from_plan

    if enforcement is None:
        enforcement = stack_enforcement(environment, root=root)
    config = read_stack_config(environment, root=root)
    ctx = context_from_plan(
        plan, environment, enforcement=enforcement, configured=config.configured
    )
    granted = quota_granted(config.plain.get(QUOTA_GRANTED_KEY), stack=environment, root=root)
    return dataclasses.replace(ctx, quota_granted=granted)


QUOTA_GRANTED_KEY = "inferplan:quotaGranted"


def quota_granted(text: str | None, *, stack: str, root: Path = Path()) -> dict[str, int]:
    """``inferplan:quotaGranted``: a map of ``<region>/<quota name>`` to the amount granted,
    recorded once the increase is approved (exit 2 on any other shape)."""
    from inputs.errors import Problem, SpecValidationError

    if text is None:
        return {}
    try:
        raw = json.loads(text)
    except json.JSONDecodeError:
        raw = None
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0
        for k, v in raw.items()
    ):
        path = root / f"Pulumi.{Path(stack).stem}.yaml"
        raise SpecValidationError(
            [
                Problem(
                    str(path),
                    0,
                    0,
                    f"config.{QUOTA_GRANTED_KEY}",
                    "expected a map of '<region>/<quota name>' to the amount granted, e.g. "
                    '{"swedencentral/NCads_H100_v5 family vCPUs": 1600}',
                )
            ]
        )
    return dict(sorted(raw.items()))


def evaluate(
    plan: Plan,
    capture: Capture,
    environment: str,
    *,
    enforcement: Mapping[str, Level] | None = None,
    root: Path = Path(),
) -> list[Finding]:
    """The policy rules over one environment's capture: fast, in process, no subprocess.

    Levels: each rule's default, overridden by ``enforcement`` or, when that is None, by
    ``Pulumi.<environment>.yaml`` under ``root`` (missing file: defaults). Disabled rules do
    not run. Findings come mandatory first, then by rule and resource.
    """
    from policies.rules import run_rules

    ctx = policy_context(plan, environment, enforcement=enforcement, root=root)
    found = [
        Finding(
            rule=rule.name,
            resource=violation.resource,
            severity="advisory" if rule.level_in(ctx) == "advisory" else "mandatory",
            message=violation.message,
            fix=rule.fix,
            source="policy",
        )
        for rule, violation in run_rules(views_from_capture(capture), ctx)
    ]
    return list(_sorted(found))


def plan_warning_findings(plan: Plan, environment: str) -> list[Finding]:
    """The plan's own warnings (sizing decided them: quota, retirement, cost per user, ...) as
    advisory findings, so a reviewer sees them next to the guardrails."""
    return [
        Finding(
            rule=f"plan-warning:{warning.kind}",
            resource=f"workload:{w.name}",
            severity="advisory",
            message=warning.message,
            fix="See docs/optimizer.md#warnings; `inferplan plan --explain` shows the numbers.",
            source="policy",
        )
        for w in plan.workloads_of(environment)
        for warning in w.warnings
    ]


# --- kubernetes-validate ------------------------------------------------------------------------


def kubernetes_objects(files: Mapping[str, str]) -> list[tuple[str, dict[str, Any]]]:
    """(file, object) for every Kubernetes object among rendered files."""
    objects = []
    for path, text in sorted(files.items()):
        if path.startswith(KUBERNETES_DIR):
            objects += [(path, doc) for doc in yaml.safe_load_all(text) if doc]
    return objects


def validate_manifests(
    files: Mapping[str, str], kubernetes_version: str
) -> tuple[list[Finding], list[str]]:
    """Strict schema validation of every rendered object for ``kubernetes_version``.

    Custom resources (KEDA, Azure managed Prometheus) have no schema in kubernetes-validate;
    they are listed in a note rather than failed.
    """
    import kubernetes_validate
    from kubernetes_validate.utils import VersionNotSupportedError

    unsupported = _schema_version_finding(kubernetes_version)
    if unsupported is not None:
        return [unsupported], []
    findings: list[Finding] = []
    crds: set[str] = set()
    for path, obj in kubernetes_objects(files):
        name = f"{path}: {obj.get('kind')}/{(obj.get('metadata') or {}).get('name')}"
        try:
            kubernetes_validate.validate(obj, kubernetes_version, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            crds.add(f"{obj.get('kind')} ({obj.get('apiVersion')})")
        except kubernetes_validate.ValidationError as error:
            where = ".".join(str(p) for p in error.path) or "(object)"
            findings.append(
                Finding(
                    rule="kubernetes-schema",
                    resource=name,
                    severity="mandatory",
                    message=f"{where}: {error.message} (Kubernetes {error.version}, strict)",
                    fix="Correct the field in the component that builds this object "
                    "(components/kubernetes_manifests.py, components/gpu_cluster.py).",
                    source="kubernetes-validate",
                )
            )
        except VersionNotSupportedError:
            findings.append(
                Finding(
                    rule="kubernetes-schema",
                    resource=name,
                    severity="advisory",
                    message=f"kubernetes-validate has no schemas for Kubernetes "
                    f"{kubernetes_version}; not validated",
                    fix="Upgrade kubernetes-validate in requirements.lock.",
                    source="kubernetes-validate",
                )
            )
            break
    notes = []
    if crds:
        notes.append(
            "kubernetes-validate: custom resources have no schema and were not validated: "
            + ", ".join(sorted(crds))
        )
    return findings, notes


def _minor(version: str) -> tuple[int, int] | None:
    parts = version.removeprefix("v").split(".")
    try:
        return int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return None


def _schema_version_finding(kubernetes_version: str) -> Finding | None:
    """A finding when kubernetes-validate has no schemas for ``kubernetes_version``.

    Its own lookup compares versions as text and fails with IndexError below its oldest set of
    schemas, so the range is checked here, by number. Older than every schema: mandatory (AKS
    creates only supported versions, and nothing could be validated); newer: advisory (the
    check is behind, not the stack).
    """
    from kubernetes_validate.utils import all_versions

    known = sorted(v for v in (_minor(v) for v in all_versions()) if v is not None)
    wanted = _minor(kubernetes_version)
    if not known or (wanted is not None and known[0] <= wanted <= known[-1]):
        return None
    oldest, newest = (f"{v[0]}.{v[1]}" for v in (known[0], known[-1]))
    older = wanted is None or wanted < known[0]
    return Finding(
        rule="kubernetes-schema",
        resource="kubernetes.version",
        severity="mandatory" if older else "advisory",
        message=f"Kubernetes {kubernetes_version} is outside the versions kubernetes-validate "
        f"has schemas for ({oldest} to {newest}); the manifests were not validated",
        fix="Set kubernetes.version in the environment file to a version AKS supports "
        "(az aks get-versions --location <region>)"
        if older
        else "Upgrade kubernetes-validate in requirements.lock.",
        source="kubernetes-validate",
    )


# --- checkov ------------------------------------------------------------------------------------


def find_checkov(*, root: Path = Path()) -> Path | None:
    """checkov from ``$INFERPLAN_CHECKOV``, else the project's ``.venv-checkov`` (in ``root``,
    or in the checkout this module runs from: the folder above it with ``pyproject.toml``),
    else ``checkov`` on PATH."""
    explicit = os.environ.get(CHECKOV_ENV_VAR)
    if explicit:
        return Path(explicit)
    here = Path(__file__).resolve().parents
    checkout = next((p for p in here if (p / "pyproject.toml").is_file()), None)
    for base in (root, *([checkout] if checkout else [])):
        candidate = base / CHECKOV_VENV / "bin" / "checkov"
        if candidate.is_file():
            return candidate
    on_path = shutil.which("checkov")
    return Path(on_path) if on_path else None


def external_checks_dir() -> Path:
    """inferplan's custom checkov checks (policies/checkov/)."""
    import policies

    return Path(policies.__file__).resolve().parent / "checkov"


def run_checkov_on_dir(
    directory: Path, *, checkov: Path, checks: Sequence[str] = ()
) -> dict[str, Any]:
    """checkov's JSON report for one folder of manifests, with inferplan's custom checks.

    Offline: ``--skip-download`` (no guideline download). ``checks`` limits the run to those
    check ids. Raises ``RuntimeError`` when checkov fails to run.
    """
    command = [
        str(checkov),
        "--directory",
        str(directory),
        "--framework",
        "kubernetes",
        "--external-checks-dir",
        str(external_checks_dir()),
        "--skip-download",
        "--compact",
        "--output",
        "json",
    ]
    if checks:
        command += ["--check", ",".join(checks)]
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE", CHECKOV_NO_OUTPUT_COLOR="1")
    result = subprocess.run(  # a fixed executable with our own arguments
        command,
        capture_output=True,
        text=True,
        timeout=CHECKOV_TIMEOUT_S,
        env=env,
        check=False,
    )
    if result.returncode not in (0, 1):
        raise RuntimeError(f"checkov exited {result.returncode}: {result.stderr.strip()[-2000:]}")
    try:
        data = json.loads(result.stdout)
    except json.JSONDecodeError as error:
        raise RuntimeError(
            f"checkov wrote no JSON report: {result.stderr.strip()[-2000:]}"
        ) from error
    reports = data if isinstance(data, list) else [data]
    merged: dict[str, Any] = {"passed_checks": [], "failed_checks": [], "skipped_checks": []}
    for report in reports:
        for key in merged:
            merged[key] += (report.get("results") or {}).get(key) or []
        for error in (report.get("results") or {}).get("parsing_errors") or ():
            merged.setdefault("parsing_errors", []).append(error)
    return merged


def _cached_checkov(directory: Path, manifests: Mapping[str, str], *, checkov: Path) -> Any:
    """checkov's merged results for these manifests, from the result cache when the same
    files were scanned by the same checkov (executable and its size and time) and the same
    custom checks; checkov takes several seconds, so a second ``check`` of one plan skips it."""
    from inferplan.offline.cache import ResultCache, digest, folder_digest

    cache = ResultCache.from_environment()
    stat = checkov.resolve().stat()
    key = digest(
        "checkov",
        str(checkov.resolve()),
        stat.st_size,
        stat.st_mtime_ns,
        folder_digest([external_checks_dir()]),
        dict(sorted(manifests.items())),
    )
    stored = cache.get("checkov", key)
    if isinstance(stored, dict):
        return stored
    results = run_checkov_on_dir(directory, checkov=checkov)
    cache.put("checkov", key, results)
    return results


def checkov_findings(results: Mapping[str, Any]) -> list[Finding]:
    findings = []
    for failed in results.get("failed_checks") or ():
        check_id = str(failed.get("check_id"))
        findings.append(
            Finding(
                rule=check_id,
                resource=f"{str(failed.get('file_path', '')).lstrip('/')}: "
                f"{failed.get('resource')}",
                severity="mandatory",
                message=str(failed.get("check_name", "")),
                fix=CHECKOV_FIXES.get(check_id) or failed.get("guideline") or CHECKOV_DEFAULT_FIX,
                source="checkov",
            )
        )
    for skipped in results.get("skipped_checks") or ():
        if not _skip_reason(skipped):
            findings.append(
                Finding(
                    rule=str(skipped.get("check_id")),
                    resource=f"{str(skipped.get('file_path', '')).lstrip('/')}: "
                    f"{skipped.get('resource')}",
                    severity="mandatory",
                    message="checkov check skipped without a written reason",
                    fix="Give the skip a reason a reviewer can accept: "
                    "checkov.io/skipN: CHECK_ID=<reason>, or fix the manifest.",
                    source="checkov",
                )
            )
    for path in results.get("parsing_errors") or ():
        findings.append(
            Finding(
                rule="checkov-parse",
                resource=str(path),
                severity="mandatory",
                message="checkov could not parse the manifest",
                fix="Render again; the file must be valid multi-document YAML.",
                source="checkov",
            )
        )
    return findings


def scan_with_checkov(
    files: Mapping[str, str], *, checkov: Path | None
) -> tuple[list[Finding], list[str]]:
    """checkov over the rendered Kubernetes manifests; a missing checkov is a finding (the
    guardrail fails closed), not a silent pass."""
    manifests = {p: t for p, t in files.items() if p.startswith(KUBERNETES_DIR)}
    if not manifests:
        return [], ["checkov: no Kubernetes manifests to scan"]
    if checkov is None or not checkov.is_file():
        return [
            Finding(
                rule="checkov-unavailable",
                resource=KUBERNETES_DIR,
                severity="mandatory",
                message="checkov was not found, so the manifests were not scanned",
                fix=f"Run it as ./dev inferplan check (that creates {CHECKOV_VENV} from the lock), "
                f"set {CHECKOV_ENV_VAR} to a checkov executable, or pass --no-checkov.",
                source="checkov",
            )
        ], []
    with tempfile.TemporaryDirectory(prefix="inferplan-checkov-") as tmp:
        for rel, text in manifests.items():
            target = Path(tmp) / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        try:
            results = _cached_checkov(Path(tmp), manifests, checkov=checkov)
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
            return [
                Finding(
                    rule="checkov-error",
                    resource=KUBERNETES_DIR,
                    severity="mandatory",
                    message=f"checkov did not complete: {error}",
                    fix=f"Run {checkov} by hand on `inferplan render` output to see why; "
                    f"recreate {CHECKOV_VENV} by deleting it and running ./dev.",
                    source="checkov",
                )
            ], []
    skipped = results.get("skipped_checks") or []
    notes = [
        f"checkov: {len(results.get('passed_checks') or [])} passed, "
        f"{len(results.get('failed_checks') or [])} failed, {len(skipped)} skipped in the "
        "manifests with a written reason"
    ]
    reasons: dict[tuple[str, str], int] = {}
    for s in skipped:
        key = (str(s.get("check_id")), _skip_reason(s))
        reasons[key] = reasons.get(key, 0) + 1
    notes += [
        f"checkov skip {check} ({count}x): {reason or '(no reason)'}"
        for (check, reason), count in sorted(reasons.items())
    ]
    return checkov_findings(results), notes


def _skip_reason(skipped: Mapping[str, Any]) -> str:
    result = skipped.get("check_result") or {}
    return str(result.get("suppress_comment") or skipped.get("suppress_comment") or "").strip()


# --- everything ----------------------------------------------------------------------------------


def _cluster_version(plan: Plan, stack: str, catalog_dirs: tuple[Path, ...]) -> str:
    """The Kubernetes version the manifests are validated against: the environment's, else the
    newest generally available minor of the AKS versions catalog (what the cluster would get)."""
    env = plan.environment(stack)
    if env.kubernetes is not None:
        return env.kubernetes.version
    from sizing.catalog import catalog_for
    from sizing.deploy.kubernetes_versions import default_version

    return default_version(catalog_for(catalog_dirs))


def freshness_findings(catalog_dirs: tuple[Path, ...], today: dt.date) -> list[Finding]:
    """Advisory findings for catalog families (lifecycle, prices) not checked within
    `STALE_AFTER_DAYS` of ``today``; the plan itself never reads the clock."""
    from sizing.catalog import catalog_for
    from sizing.catalog.freshness import stale_families

    return [
        Finding(
            rule="catalog-freshness",
            resource=f"catalog:{age.family}",
            severity="advisory",
            message=age.message(),
            fix=f"Run `{age.refresh}` and review the diff it prints before committing the "
            "catalog (docs/catalogs.md#keeping-the-catalog-fresh).",
            source="policy",
        )
        for age in stale_families(catalog_for(catalog_dirs), today)
    ]


def run_check(
    stack: str,
    *,
    catalog_dirs: tuple[Path, ...] = (),
    root: Path = Path(),
    checkov: bool = True,
    checkov_path: Path | None = None,
    progress: Callable[[str], None] = lambda _: None,
    today: dt.date | None = None,
) -> CheckReport:
    """Plan ``stack``, capture its program offline and run every check (see the module doc).

    A plan the program would refuse (an infeasible workload, a broken cap) is a mandatory
    finding; the Plan-level rules (caps, templates) still run, the resource rules and
    manifest checks have nothing to look at.
    """
    from inferplan.offline.registrations import Capture
    from inferplan.offline.render import render_files
    from inferplan.offline.stack_run import run_stack_offline

    progress(f"planning {stack} and running its Pulumi program offline")
    run = run_stack_offline(stack, catalog_dirs=catalog_dirs, root=root)
    progress("checking policy rules")
    findings = [
        Finding(
            rule="plan-deployable",
            resource=f"environment:{run.stack}",
            severity="mandatory",
            message=reason,
            fix="Run `inferplan plan` on the stack and follow each workload's nearest "
            "relaxation, or lower the environment's load to fit its cap.",
            source="policy",
        )
        for reason in run.blocked
    ]
    capture = run.capture if run.capture is not None else Capture()
    findings += evaluate(run.plan, capture, run.stack, root=root)
    findings += plan_warning_findings(run.plan, run.stack)
    findings += freshness_findings(catalog_dirs, today or dt.datetime.now(dt.UTC).date())
    sources: list[Source] = ["policy"]
    notes: list[str] = []
    if run.capture is None:
        notes.append(
            "the program refuses to run this plan: only the Plan-level rules (caps, templates) "
            "were checked, no resources or manifests"
        )
    files = render_files(capture) if run.capture is not None else {}
    objects = kubernetes_objects(files)
    if objects:
        progress("validating Kubernetes manifests")
        found, more = validate_manifests(files, _cluster_version(run.plan, run.stack, catalog_dirs))
        findings += found
        notes += more
        sources.append("kubernetes-validate")
        if checkov:
            progress("scanning manifests with checkov")
            found, more = scan_with_checkov(files, checkov=checkov_path or find_checkov(root=root))
            findings += found
            notes += more
            sources.append("checkov")
        else:
            notes.append("checkov: not run (--no-checkov)")
    return CheckReport(
        stack=run.stack,
        findings=_sorted(findings),
        notes=tuple(notes),
        sources=tuple(sources),
        resources=len(capture.resources),
        manifests=len(objects),
        plan=run.plan,
    )


def policy_config_for(plan: Plan, environment: str, *, root: Path = Path()) -> dict[str, Any]:
    """The ``--policy-pack-config`` file for the Pulumi CLI pack: every rule's level in this
    environment and the Plan context the rules read."""
    from policies.pack import policy_config

    return policy_config(policy_context(plan, environment, root=root))


def report_to_data(report: CheckReport) -> dict[str, Any]:
    return {
        "stack": report.stack,
        "passed": report.exit_code == 0,
        "summary": {
            "mandatory": report.mandatory,
            "advisory": report.advisory,
            "resources": report.resources,
            "kubernetes_objects": report.manifests,
            "sources": list(report.sources),
        },
        "findings": [
            {
                "rule": f.rule,
                "resource": f.resource,
                "severity": f.severity,
                "source": f.source,
                "message": f.message,
                "fix": f.fix,
            }
            for f in report.findings
        ],
        "notes": list(report.notes),
    }
