"""``inferplan report``: the figures it gathers, the page it writes, and that page in a browser."""

from __future__ import annotations

import io
import math
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT
from headless_chromium import BROWSERS, find_browser, headless_page

from inferplan.cli.main import main
from inferplan.review.report_data import (
    curve_concurrencies,
    frontier_points,
    pareto_front,
    stack_figures,
)
from sizing.catalog import default_catalog
from sizing.plan import CandidateFigures
from sizing.search.decisions import Rejection
from sizing.search.optimizer import kept_candidates
from sizing.search.option import Option


@pytest.fixture(scope="module")
def prod_figures():
    return stack_figures("prod", catalog=default_catalog(), root=ROOT)


@pytest.fixture(scope="module")
def prod_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        result = CliRunner().invoke(main, ["report", "prod", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out / "index.html"


def option(summary: str, cost: float, ttft: float | None, *, rejected: str | None = None):
    rejection = Rejection("slo", rejected) if rejected else None
    return Option(
        target="aks-vllm",
        summary=summary,
        monthly_usd=cost,
        region_rank=0,
        rejections=(rejection,) if rejection else (),
        build=None,
        figures=CandidateFigures(ttft_p95_ms=ttft, tps_per_request=20.0 if ttft else None),
    )


def test_every_candidate_with_a_cost_and_latency_is_plotted_the_first_feasible_chosen() -> None:
    ranked = (
        option("cheap but slow", 100.0, 5000.0, rejected="TTFT too high"),
        option("chosen", 200.0, 900.0),
        option("dearer, faster", 300.0, 400.0),
        option("dearer, slower", 400.0, 950.0),
        option("does not fit", math.inf, None, rejected="memory"),
    )
    points, skipped = frontier_points(kept_candidates(ranked))
    assert [p.summary for p in points] == [o.summary for o in ranked[:4]]
    assert skipped == 1
    assert [p.summary for p in points if p.chosen] == ["chosen"]
    # the frontier: each point faster than every cheaper feasible one
    assert [p.summary for p in pareto_front(points)] == ["chosen", "dearer, faster"]


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        pytest.param(1, (1,), id="one"),
        pytest.param(5, (1, 2, 3, 5), id="small"),
        pytest.param(20, (1, 2, 3, 5, 8, 12, 18, 20), id="geometric"),
    ],
)
def test_curve_concurrencies_grow_about_one_and_a_half_times(limit, expected) -> None:
    """c' = max(c + 1, ceil(1.5 c)), and the limit itself."""
    values = curve_concurrencies(limit=limit)
    assert values[0] == 1 and values[-1] == limit
    assert values == tuple(sorted(set(values)))
    assert values == expected


def test_the_capacity_curve_passes_through_the_planned_operating_point(prod_figures) -> None:
    """The curve is the estimator at each concurrency; at the planned concurrency it gives the
    plan's own prediction."""
    aks = [w for w in prod_figures.workloads if w.plan.aks is not None]
    assert aks
    for w in aks:
        curve = w.curve
        assert curve is not None and curve.points
        predicted = w.plan.predicted
        assert curve.operating_concurrency == predicted.concurrency_per_replica
        at = {p.concurrency: p for p in curve.points}
        if curve.operating_concurrency in at:
            point = at[curve.operating_concurrency]
            assert math.isclose(point.ttft_p95_ms, predicted.ttft_p95_ms, rel_tol=0.01)
            assert math.isclose(point.itl_ms, predicted.itl_ms, rel_tol=0.01)
        assert curve.ttft_slo_ms == w.slo_ttft_p95_ms
        assert curve.itl_slo_ms == pytest.approx(1000.0 / w.slo_tps_per_request)


def test_managed_workloads_say_why_they_have_no_curve(prod_figures) -> None:
    managed = [w for w in prod_figures.workloads if w.plan.target == "azure-openai"]
    assert managed
    assert all(w.curve is None and "managed service" in w.curve_note for w in managed)


def test_the_cost_breakdown_adds_up_to_the_environment(prod_figures) -> None:
    (env,) = prod_figures.environments
    assert math.isclose(sum(s.monthly_usd for s in env.shares), env.monthly_usd, rel_tol=1e-9)
    assert [s.monthly_usd for s in env.shares] == sorted(
        (s.monthly_usd for s in env.shares), reverse=True
    )


# --- the page as a parser reads it (the main test: no browser needed) ------------------------

SVG_NS = "{http://www.w3.org/2000/svg}"
# Attributes that make a browser fetch something, and CSS that does.
FETCHING_ATTRIBUTES = ("src", "href", "xlink:href", "srcset", "action", "data", "poster")
FETCHING_ELEMENTS = ("script", "link", "iframe", "object", "embed", "img", "base")


@pytest.fixture(scope="module")
def prod_tree(prod_page):
    import lxml.html

    return lxml.html.document_fromstring(prod_page.read_bytes())


def test_the_page_parses_as_html_with_one_section_per_environment_and_workload(
    prod_page, prod_tree, prod_figures
) -> None:
    assert prod_page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>\n")
    assert prod_tree.get("lang") == "en"
    assert prod_tree.findtext("head/title") == "inferplan report: prod"
    sections = [s.get("id") for s in prod_tree.iter("section")]
    assert sections == [f"environment-{e.name}" for e in prod_figures.environments] + [
        f"workload-{w.name}" for w in prod_figures.workloads
    ]
    ids = [e.get("id") for e in prod_tree.iter() if e.get("id")]
    assert len(ids) == len(set(ids))  # inline SVGs share one id space: salted per chart


def test_the_page_fetches_nothing(prod_tree) -> None:
    """Self-contained: no element that loads, no attribute that points outside the page (only
    ``#fragment`` references, as SVG clip paths use), no CSS import or external url()."""
    assert [e.tag for e in prod_tree.iter(*FETCHING_ELEMENTS)] == []
    for element in prod_tree.iter():
        if not isinstance(element.tag, str):
            continue  # comments
        for name, value in element.attrib.items():
            if name in FETCHING_ATTRIBUTES:
                assert value.startswith("#"), (element.tag, name, value)
            for target in re.findall(r"url\(\s*['\"]?([^'\")]*)", value):
                assert target.startswith("#"), (element.tag, name, value)
    css = "".join(s.text_content() for s in prod_tree.iter("style"))
    assert "@import" not in css
    assert all(t.startswith("#") for t in re.findall(r"url\(\s*['\"]?([^'\")]*)", css))


def test_every_chart_is_well_formed_svg(prod_page, prod_tree) -> None:
    from lxml import etree

    text = prod_page.read_text(encoding="utf-8")
    inline = re.findall(r"<svg\b.*?</svg>", text, flags=re.DOTALL)
    figures = [f for f in prod_tree.iter("figure")]
    assert len(inline) == len(figures) == sum(1 for _ in prod_tree.iter("svg"))
    strict = etree.XMLParser(recover=False, resolve_entities=False, no_network=True)
    for svg_text, figure in zip(inline, figures, strict=True):
        svg = etree.fromstring(svg_text.encode("utf-8"), strict)  # raises when not well formed
        assert svg.tag == f"{SVG_NS}svg"
        assert svg.get("aria-label") == figure.find("svg").get("aria-label")
        assert float(svg.get("width").removesuffix("pt")) > 100
        assert svg.find(f".//{SVG_NS}text") is not None or svg.find(f".//{SVG_NS}path") is not None


def test_every_workload_lists_every_candidate_and_marks_the_chosen_one(
    prod_tree, prod_figures
) -> None:
    for w in prod_figures.workloads:
        (section,) = prod_tree.xpath(f"//section[@id='workload-{w.name}']")
        rows = section.xpath(".//table[@class='candidates']//tr[contains(@class, 'candidate')]")
        assert len(rows) == len(w.candidates) > 0, w.name
        for row, candidate in zip(rows, w.candidates, strict=True):
            cells = [c.text_content() for c in row.findall("td")]
            assert cells[:3] == [str(candidate.rank), candidate.target, candidate.summary]
            assert row.get("class") == f"candidate {candidate.status}"
            assert cells[6].startswith(candidate.status) and candidate.reason in cells[6]
        chosen = [c.summary for c in w.candidates if c.status == "chosen"]
        plotted = [p.summary for p in w.frontier if p.chosen]
        assert len(chosen) == (1 if w.plan.feasible else 0)
        assert plotted == chosen or not plotted  # the star on the chart is the chosen row
        # and the candidates with a cost and latency are exactly the points drawn
        assert len(w.frontier) + w.not_plotted == len(w.candidates)


def test_the_page_is_byte_identical_from_another_process(prod_page, tmp_path) -> None:
    """Deterministic: a second run in a fresh interpreter (another hash seed, fresh
    matplotlib state) writes the same bytes."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, PYTHONHASHSEED="12345", INFERPLAN_CACHE_DIR="off")
    done = subprocess.run(
        [sys.executable, "-m", "inferplan.cli", "report", "prod", "--out", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "index.html").read_bytes() == prod_page.read_bytes()


def test_report_dev_works_from_a_fresh_checkout_with_the_defaults(tmp_path, monkeypatch) -> None:
    for folder in ("stacks", "examples", "templates"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["report", "dev"])
    assert result.exit_code == 0, result.output
    page = tmp_path / "out" / "report" / "dev" / "index.html"
    assert f"wrote {Path('out/report/dev/index.html')}" in result.output
    assert page.read_text(encoding="utf-8").count('<section class="workload"') == 3


def test_bad_input_writes_nothing_and_exits_2(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["report", "no-such-stack", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "stacks/no-such-stack.yaml: no environment file for stack 'no-such-stack'" in (
        result.output
    )
    assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_an_undeployable_plan_is_still_drawn_and_exits_1(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    env = "tests/fixtures/plan/capped-stack/env.yaml"
    result = CliRunner().invoke(main, ["report", env, "--out", str(tmp_path)])
    assert result.exit_code == 1
    text = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "not deployable" in text


# --- in a real browser: an extra, where a Chromium is installed ------------------------------

BROWSER = find_browser()
needs_browser = pytest.mark.skipif(
    BROWSER is None,
    reason="no Chromium on this machine (looked for: " + ", ".join(BROWSERS) + "); the page's "
    "structure, self-containment and determinism are tested above without one",
)
VIEWPORT = (1280, 900)

LAYOUT_JS = """
(() => {
  const box = (e) => { const r = e.getBoundingClientRect();
    return {x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height}; };
  return {
    width: document.documentElement.scrollWidth,
    height: document.documentElement.scrollHeight,
    sections: [...document.querySelectorAll('section')].map(s => ({
      id: s.id, box: box(s),
      charts: [...s.querySelectorAll('figure svg')].map(svg => ({
        label: svg.getAttribute('aria-label'), box: box(svg),
        texts: [...svg.querySelectorAll('text')].map(t => t.textContent).join(' ')})),
      notes: [...s.querySelectorAll('.capacity-note')].map(n => n.textContent)})),
    brokenImages: [...document.images].filter(i => !i.complete || i.naturalWidth === 0).length,
  };
})()
"""


def _inked_fraction(image, box: dict) -> float:
    """Share of pixels in ``box`` that are not the white page background."""
    region = image.crop(
        (int(box["x"]), int(box["y"]), int(box["x"] + box["w"]), int(box["y"] + box["h"]))
    ).convert("L")
    histogram = region.histogram()  # 256 counts of grey levels
    return sum(histogram[:240]) / max(sum(histogram), 1)


@needs_browser
def test_the_page_renders_in_chromium_as_laid_out(prod_page, prod_figures) -> None:
    from PIL import Image

    with headless_page(BROWSER) as page:
        page.open(prod_page.as_uri(), width=VIEWPORT[0], height=VIEWPORT[1])
        layout = page.evaluate(LAYOUT_JS)
        png = page.screenshot()
        requests = page.requested_urls()
        console = page.console_messages()
    assert requests == [prod_page.as_uri()]  # nothing fetched when the page is viewed
    assert console == []
    assert layout["brokenImages"] == 0
    assert layout["width"] <= VIEWPORT[0]  # no horizontal scrolling
    ids = [s["id"] for s in layout["sections"]]
    assert ids == ["environment-prod"] + [f"workload-{w.name}" for w in prod_figures.workloads]
    image = Image.open(io.BytesIO(png))
    assert image.size[0] == VIEWPORT[0] and image.size[1] >= layout["height"] - 1
    tops = [s["box"]["y"] for s in layout["sections"]]
    assert tops == sorted(tops)  # sections stacked in document order, none overlapping
    for section, figures in zip(layout["sections"][1:], prod_figures.workloads, strict=True):
        charts = {c["label"].rsplit("-", 1)[0]: c for c in section["charts"]}
        expected = {"frontier-ttft"}
        expected |= {"frontier-tps"} if any(p.tps_per_request for p in figures.frontier) else set()
        expected |= {"capacity"} if figures.curve else set()
        assert set(charts) == expected, section["id"]
        if not figures.curve:
            assert section["notes"] and "managed service" in section["notes"][0]
        for label, chart in charts.items():
            b, s = chart["box"], section["box"]
            assert b["w"] >= 300 and b["h"] >= 150, (section["id"], label)
            assert s["x"] <= b["x"] and b["x"] + b["w"] <= s["x"] + s["w"] + 1
            assert s["y"] <= b["y"] and b["y"] + b["h"] <= s["y"] + s["h"] + 1
            # the chart was painted: axes, points and labels put ink in its box
            assert _inked_fraction(image, b) > 0.02, (section["id"], label)
        assert "monthly cost (USD)" in charts["frontier-ttft"]["texts"]
        if figures.curve:
            assert "concurrent requests on one replica" in charts["capacity"]["texts"]
            assert (
                f"planned: {figures.curve.operating_concurrency} per replica"
                in (charts["capacity"]["texts"])
            )
    cost = layout["sections"][0]["charts"][0]
    for share in prod_figures.environments[0].shares:
        assert share.workload in cost["texts"]
    # between the charts the page is background: the margin right of the content is blank
    margin = {"x": VIEWPORT[0] - 12, "y": 0, "w": 10, "h": layout["height"] - 1}
    assert _inked_fraction(image, margin) < 0.01
