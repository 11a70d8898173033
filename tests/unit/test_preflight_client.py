"""The one Azure client: pagination, throttling, errors, and recorded answers (no network)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inferplan.preflight import apis
from inferplan.preflight.client import (
    ARM_ENDPOINT,
    MAX_WAIT_S,
    AzureApiError,
    AzureClient,
    HttpResponse,
    NotFound,
    PermissionDenied,
    Throttled,
    retry_after_s,
)
from inferplan.preflight.recorded import RecordedTransport, RecordingMissing, RecordingTransport

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "preflight"
SUB = "00000000-0000-0000-0000-000000000000"


def recorded(*exchanges: tuple[str, list[dict]]) -> RecordedTransport:
    return RecordedTransport(
        {"exchanges": [{"url": url, "responses": responses} for url, responses in exchanges]}
    )


def client_for(transport, **kwargs) -> AzureClient:
    waits: list[float] = []
    client = AzureClient(transport, sleep=waits.append, **kwargs)
    client.slept = waits  # what the client asked to sleep, in order
    return client


def skus_url(location: str) -> str:
    return AzureClient(None).arm_url(
        f"/subscriptions/{SUB}/providers/Microsoft.Compute/skus",
        api_version=apis.RESOURCE_SKUS_API,
        params={"$filter": f"location eq '{location}'"},
    )


def test_arm_lists_follow_next_link_until_it_is_null():
    transport = RecordedTransport.from_file(FIXTURES / "prod-findings.json")
    client = client_for(transport)
    offers = apis.resource_skus(client, subscription_id=SUB, location="swedencentral")
    assert sorted(name for name, _ in offers) == [
        "Standard_D4ds_v5",
        "Standard_NC24ads_A100_v4",
        "Standard_NC40ads_H100_v5",  # this one and the next on the second page
        "Standard_NC80adis_H100_v5",
    ]
    assert len(transport.requested) == 2
    assert "%24skiptoken=page2" in transport.requested[1]


def test_a_429_is_retried_after_its_retry_after_seconds():
    transport = RecordedTransport.from_file(FIXTURES / "prod-findings.json")
    client = client_for(transport)
    usages = apis.cognitive_usages(client, subscription_id=SUB, location="swedencentral")
    assert client.slept == [7.0] and client.waited_s == [7.0]
    assert usages["OpenAI.Standard.text-embedding-3-large"].free == 1000 - 200


def test_throttling_that_never_ends_is_an_error_after_the_retries():
    url = skus_url("westeurope")
    throttled = {"status": 429, "headers": {"retry-after": "1"}, "body": None}
    client = client_for(recorded((url, [throttled])), max_retries=3)
    with pytest.raises(Throttled) as error:
        apis.resource_skus(client, subscription_id=SUB, location="westeurope")
    assert error.value.status == 429
    assert client.slept == [1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    ("headers", "attempt", "expected"),
    [
        ({"retry-after": "7"}, 0, 7.0),
        ({"retry-after": "0"}, 3, 0.0),
        ({}, 0, 1.0),  # no header: 2^attempt
        ({}, 3, 8.0),
        ({"retry-after": "3600"}, 0, MAX_WAIT_S),  # never longer than the cap
        ({"retry-after": "Tue, 01 Dec 2026 12:00:30 GMT"}, 0, 30.0),  # an HTTP date
        ({"retry-after": "soon"}, 2, 4.0),  # unreadable: the exponential wait
    ],
    ids=["seconds", "zero", "none-first", "none-fourth", "capped", "http-date", "unreadable"],
)
def test_retry_after(headers, attempt, expected):
    now = 1796126400.0  # Tue, 01 Dec 2026 12:00:00 GMT
    assert retry_after_s(headers, attempt, now=now) == expected


@pytest.mark.parametrize(
    ("status", "error_type"),
    [(401, PermissionDenied), (403, PermissionDenied), (404, NotFound), (400, AzureApiError)],
    ids=["401", "403", "404", "400"],
)
def test_errors_are_typed_and_keep_azures_code_and_message(status, error_type):
    url = skus_url("westeurope")
    body = {"error": {"code": "AuthorizationFailed", "message": "no Microsoft.Compute/skus/read"}}
    client = client_for(recorded((url, [{"status": status, "body": body}])))
    with pytest.raises(error_type) as error:
        apis.resource_skus(client, subscription_id=SUB, location="westeurope")
    assert (error.value.code, error.value.message) == (
        "AuthorizationFailed",
        "no Microsoft.Compute/skus/read",
    )
    assert client.slept == []  # client errors are not retried


def test_a_missing_cluster_means_no_existing_pools():
    transport = RecordedTransport.from_file(FIXTURES / "prod-findings.json")
    pools = apis.existing_agent_pools(
        client_for(transport),
        subscription_id=SUB,
        resource_group="rg-prod-swc",
        cluster="aks-prod-swc",
    )
    assert pools == ()


def test_the_token_goes_to_azure_resource_manager_only():
    sent: list[tuple[str, dict]] = []

    class Transport:
        def get(self, url, headers):
            sent.append((url, dict(headers)))
            return HttpResponse(
                200, {}, {"value": [{"a": 1}], "nextLink": "https://elsewhere.example/x"}
            )

    client = AzureClient(Transport(), token=lambda: "secret-token")
    with pytest.raises(AzureApiError, match="refusing to send a token"):
        client.arm_list("/subscriptions/x/providers/Microsoft.Compute/skus", api_version="1")
    assert [url for url, _ in sent] == [
        f"{ARM_ENDPOINT}/subscriptions/x/providers/Microsoft.Compute/skus?api-version=1"
    ]
    assert sent[0][1]["authorization"] == "Bearer secret-token"


def test_retail_prices_follow_next_page_link_without_a_token():
    fixture = json.loads((FIXTURES.parent / "retail_prices_nc24ads_a100_v4.json").read_text())
    transport = RecordedTransport(
        {
            "exchanges": [
                {"url": u, "responses": [{"status": 200, "body": p}]}
                for u, p in fixture["pages"].items()
            ]
        }
    )
    seen_headers: list[dict] = []
    real_get = transport.get

    def get(url, headers):
        seen_headers.append(dict(headers))
        return real_get(url, headers)

    transport.get = get
    client = AzureClient(transport, token=lambda: "never-sent")
    items = client.retail_prices(
        "serviceName eq 'Virtual Machines' and priceType eq 'Consumption' "
        "and armSkuName eq 'Standard_NC24ads_A100_v4'"
    )
    assert len(items) == 8 and len(seen_headers) == 2
    assert all("authorization" not in h for h in seen_headers)


def test_an_unrecorded_request_names_its_url():
    client = client_for(recorded())
    with pytest.raises(RecordingMissing, match=r"no recorded answer for GET .*westeurope"):
        apis.resource_skus(client, subscription_id=SUB, location="westeurope")


def test_recording_real_answers_replays_them_exactly():
    live = RecordedTransport.from_file(FIXTURES / "prod-findings.json")
    recorder = RecordingTransport(live)
    first = apis.cognitive_usages(
        client_for(recorder), subscription_id=SUB, location="swedencentral"
    )
    replay = RecordedTransport(recorder.data("test"))
    client = client_for(replay)
    assert apis.cognitive_usages(client, subscription_id=SUB, location="swedencentral") == first
    assert client.slept == [7.0]  # the 429 and its Retry-After were recorded too


@pytest.mark.parametrize("quiet", [True, False], ids=["default", "debug"])
def test_the_azure_sdk_log_lines_are_silenced_unless_debugging(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, quiet: bool
) -> None:
    """azure-identity warns once per unavailable credential of its chain (13 lines before
    preflight's own one); without --debug none of it reaches a handler."""
    import logging

    from inferplan.preflight.client import default_token_provider

    sdk = logging.getLogger("azure")
    monkeypatch.setattr(sdk, "handlers", [])
    monkeypatch.setattr(sdk, "propagate", True)
    default_token_provider(quiet=quiet)  # builds the credential; asks Azure for nothing yet
    with caplog.at_level(logging.WARNING):
        logging.getLogger("azure.identity._credentials.chained").warning(
            "EnvironmentCredential: EnvironmentCredential authentication unavailable."
        )
    assert bool(caplog.records) is (not quiet)
