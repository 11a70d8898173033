"""Retirement warnings for Azure OpenAI model versions, judged at the catalog's date."""

from __future__ import annotations

import pytest

from sizing.azure_openai.lifecycle import NEAR_RETIREMENT_DAYS, retirement_warning
from sizing.catalog import default_catalog
from sizing.catalog.azure_openai import AoaiRetirement

AOAI = default_catalog().azure_openai


def warn(model: str, version: str, date: str) -> str | None:
    found = retirement_warning(model=AOAI.models[model], version=version, reference_date=date)
    assert found is None or found.kind == "retirement"
    return found.message if found else None


@pytest.mark.parametrize(
    ("model", "version", "date", "expected"),
    [
        # The retirement table (ms.date 12/16/2025): gpt-4o 2024-11-20 retired 2026-06-05
        pytest.param(
            "gpt-4o",
            "2024-11-20",
            "2026-11-28",
            "gpt-4o 2024-11-20 was retired on 2026-06-05 [retirements, 2025-12-16]: Azure OpenAI "
            "returns errors for every deployment of a retired version; Microsoft names gpt-5.1 "
            "as its replacement.",
            id="retired",
        ),
        # gpt-5-mini 2025-08-07 retires 2027-02-06: 70 days after 2026-11-28
        pytest.param(
            "gpt-5-mini",
            "2025-08-07",
            "2026-11-28",
            "gpt-5-mini 2025-08-07 retires on 2027-02-06, 70 days after this catalog's date "
            "2026-11-28 [retirements, 2025-12-16]; plan the move before deploying.",
            id="near",
        ),
        # Deprecated 2026-08-07, retiring 2027-02-06: 183 days after 2026-08-07 is the edge
        pytest.param(
            "gpt-5-mini",
            "2025-08-07",
            "2026-08-06",
            None,
            id="six-months-and-a-day-ahead",
        ),
        # text-embedding-3-large: "No earlier than 2026-10-30"
        pytest.param(
            "text-embedding-3-large",
            "1",
            "2026-09-01",
            "text-embedding-3-large 1 retires no earlier than 2026-10-30, 59 days after this "
            "catalog's date 2026-09-01 [retirements, 2025-12-16]; plan the move before deploying.",
            id="no-earlier-than",
        ),
        pytest.param("gpt-4.1", "2025-04-14", "2025-06-01", None, id="fresh-version"),
        pytest.param("gpt-5", "2025-08-07", "2026-11-28", None, id="not-in-the-table"),
    ],
)
def test_retirement_warning(model, version, date, expected) -> None:
    assert warn(model, version, date) == expected


def test_deprecated_but_far_from_retirement_warns_that_new_customers_cannot_deploy() -> None:
    model = AOAI.models["gpt-4.1"].model_copy(
        update={
            "retirements": {
                "2025-04-14": AoaiRetirement(
                    status="ga",
                    deprecation="2026-04-14",
                    retirement="2027-10-14",
                    source="retirements",
                    date="2025-12-16",
                )
            }
        }
    )
    found = retirement_warning(model=model, version="2025-04-14", reference_date="2026-05-01")
    assert found is not None
    assert found.message == (
        "gpt-4.1 2025-04-14 has been deprecated since 2026-04-14 [retirements, 2025-12-16]: a "
        "subscription that has never deployed it cannot deploy it now."
    )


def test_the_near_threshold_is_six_months() -> None:
    assert NEAR_RETIREMENT_DAYS == 183


def test_the_plan_of_a_retired_version_carries_the_warning() -> None:
    from sizing.search.optimizer import plan_workload
    from sizing.search.request import SizingRequest

    req = SizingRequest(
        name="assistant",
        model="gpt-4o",
        precisions=(),
        deployment="azure-openai",
        max_input_tokens=4000,
        max_output_tokens=500,
        avg_input_tokens=1000,
        avg_output_tokens=200,
        peak_concurrency=10,
        peak_requests_per_minute=60,
        ttft_p95_ms=3000,
        output_tokens_per_second_p50=20,
        availability=99.9,
        regions=("swedencentral",),
        geography="eu",
        strict_residency=False,
    )
    plan = plan_workload(req, catalog=default_catalog())
    assert plan.feasible and plan.azure_openai is not None
    assert [w.kind for w in plan.warnings] == ["retirement"]
    assert "was retired on 2026-06-05" in plan.warnings[0].message
