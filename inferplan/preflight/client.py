"""The one small client for every Azure call inferplan makes; read-only by construction.

Two endpoints, both over HTTPS GET only (the client has no other verb):

* Azure Resource Manager, ``https://management.azure.com``, with a bearer token for the scope
  ``https://management.azure.com/.default``. List operations answer ``{"value": [...],
  "nextLink": "<absolute URL>"}``; the client follows ``nextLink`` until it is absent or null
  (ARM's pagination contract, the ``x-ms-pageable`` extension of the REST API specs).
* The Azure Retail Prices API, ``https://prices.azure.com/api/retail/prices``: public, no token;
  pages answer ``{"Items": [...], "NextPageLink": ...}``.

Throttling and transient failures: a 429 or 5xx answer is retried after its ``Retry-After``
header (seconds, or an HTTP date), or 2^attempt seconds without one, at most `MAX_RETRIES`
times and never more than `MAX_WAIT_S` at once. 401/403 raise `PermissionDenied` (with ARM's
error code and message, which names the missing action), 404 `NotFound`, anything else
`AzureApiError`. The token is sent only to the ARM host, so a ``nextLink`` pointing elsewhere is
refused rather than followed with credentials.

Where the answers come from is the `Transport`: `RequestsTransport` talks to Azure,
``inferplan.preflight.recorded`` replays recorded answers (tests, demos) and can record real ones.
"""

from __future__ import annotations

import email.utils
import logging
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

ARM_ENDPOINT = "https://management.azure.com"
ARM_SCOPE = "https://management.azure.com/.default"
RETAIL_PRICES_ENDPOINT = "https://prices.azure.com/api/retail/prices"
MAX_RETRIES = 4
MAX_WAIT_S = 60.0
TIMEOUT_S = 60.0
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class HttpResponse:
    """One answer: status, headers (lower-case names) and the parsed JSON body (None if empty)."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None


class Transport(Protocol):
    def get(self, url: str, headers: Mapping[str, str]) -> HttpResponse: ...


class AzureApiError(Exception):
    """Azure answered with an error that retrying does not cure."""

    def __init__(self, status: int, code: str, message: str, url: str) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.url = url
        super().__init__(f"HTTP {status} {code}: {message}")


class PermissionDenied(AzureApiError):
    """401/403: the identity may not read this; ARM's message names the missing action."""


class NotFound(AzureApiError):
    """404: the resource (or its resource group) does not exist."""


class Throttled(AzureApiError):
    """Still 429 or 5xx after every retry."""


class NoCredentials(Exception):
    """No Azure identity could be found (no ``az login``, environment or managed identity)."""


LOGIN_HELP = (
    "no Azure credentials: run `az login` (and `az account set --subscription <id>`), or set "
    "AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET (or a federated token file) for "
    "a service principal, or run where a managed or workload identity is available"
)


def _error_of(response: HttpResponse) -> tuple[str, str]:
    """ARM's ``{"error": {"code", "message"}}``; the Retail API and proxies may send less."""
    body = response.body
    if isinstance(body, Mapping):
        error = body.get("error", body)
        if isinstance(error, Mapping):
            code = str(error.get("code") or error.get("Code") or "")
            message = str(error.get("message") or error.get("Message") or "")
            if code or message:
                return code or f"HTTP{response.status}", message
    return f"HTTP{response.status}", "no error details in the answer"


def retry_after_s(headers: Mapping[str, str], attempt: int, *, now: float | None = None) -> float:
    """Seconds to wait before the next try: ``Retry-After`` as seconds or an HTTP date, else
    2^attempt; capped at `MAX_WAIT_S`."""
    value = headers.get("retry-after", "").strip()
    wait = float(2**attempt)
    if value:
        try:
            wait = float(value)
        except ValueError:
            try:
                parsed = email.utils.parsedate_to_datetime(value)
                wait = parsed.timestamp() - (time.time() if now is None else now)
            except (TypeError, ValueError):
                pass  # unreadable: keep the exponential wait
    return min(max(wait, 0.0), MAX_WAIT_S)


def with_query(url: str, params: Mapping[str, str]) -> str:
    """``url`` with ``params`` appended, in sorted order so that recorded URLs are stable."""
    if not params:
        return url
    query = urllib.parse.urlencode(sorted(params.items()))
    return f"{url}{'&' if '?' in url else '?'}{query}"


class AzureClient:
    """GETs against ARM and the Retail Prices API with pagination, retries and typed errors.

    ``token`` returns a bearer token for `ARM_SCOPE` (see `default_token_provider`); None for a
    client that only reads public prices or replays recordings. ``sleep`` is injectable so that
    tests replaying a 429 do not wait.
    """

    def __init__(
        self,
        transport: Transport,
        *,
        token: Callable[[], str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_retries: int = MAX_RETRIES,
    ) -> None:
        self._transport = transport
        self._token = token
        self._sleep = sleep
        self._max_retries = max_retries
        self.waited_s: list[float] = []  # every wait, for the report and the tests

    # -- ARM ------------------------------------------------------------------------------------

    def arm_url(
        self, path: str, *, api_version: str, params: Mapping[str, str] | None = None
    ) -> str:
        if not path.startswith("/"):
            raise ValueError(f"ARM paths start with '/': {path!r}")
        return with_query(ARM_ENDPOINT + path, {"api-version": api_version, **(params or {})})

    def arm_get(
        self, path: str, *, api_version: str, params: Mapping[str, str] | None = None
    ) -> Mapping[str, Any]:
        """One ARM resource or list page (``GET {path}?api-version=...``)."""
        return self._get_json(self.arm_url(path, api_version=api_version, params=params), True)

    def arm_list(
        self,
        path: str,
        *,
        api_version: str,
        params: Mapping[str, str] | None = None,
        items_key: str = "value",
    ) -> list[Mapping[str, Any]]:
        """Every item of an ARM list operation, following ``nextLink`` page by page."""
        return list(
            self._pages(
                self.arm_url(path, api_version=api_version, params=params),
                items_key=items_key,
                next_key="nextLink",
                auth=True,
            )
        )

    # -- Retail Prices --------------------------------------------------------------------------

    def retail_prices(self, odata_filter: str) -> list[Mapping[str, Any]]:
        """Every Retail Prices item matching an OData ``$filter``, following ``NextPageLink``."""
        url = with_query(RETAIL_PRICES_ENDPOINT, {"$filter": odata_filter})
        return list(self._pages(url, items_key="Items", next_key="NextPageLink", auth=False))

    # -- plumbing -------------------------------------------------------------------------------

    def _pages(
        self, url: str, *, items_key: str, next_key: str, auth: bool
    ) -> Iterator[Mapping[str, Any]]:
        seen: set[str] = set()
        next_url: str | None = url
        while next_url:
            if next_url in seen:  # a service answering the same link again would loop forever
                raise AzureApiError(200, "PaginationLoop", "nextLink repeats", next_url)
            seen.add(next_url)
            page = self._get_json(next_url, auth)
            yield from page.get(items_key) or []
            next_url = page.get(next_key) or None

    def _get_json(self, url: str, auth: bool) -> Mapping[str, Any]:
        headers = {"accept": "application/json"}
        if auth:
            if not url.startswith(ARM_ENDPOINT + "/"):
                raise AzureApiError(0, "UnexpectedHost", "refusing to send a token", url)
            if self._token is not None:
                headers["authorization"] = f"Bearer {self._token()}"
        attempt = 0
        while True:
            response = self._transport.get(url, headers)
            if 200 <= response.status < 300:
                return response.body if isinstance(response.body, Mapping) else {}
            code, message = _error_of(response)
            if response.status in RETRIED_STATUSES and attempt < self._max_retries:
                wait = retry_after_s(response.headers, attempt)
                self.waited_s.append(wait)
                self._sleep(wait)
                attempt += 1
                continue
            if response.status in (401, 403):
                raise PermissionDenied(response.status, code, message, url)
            if response.status == 404:
                raise NotFound(response.status, code, message, url)
            if response.status in RETRIED_STATUSES:
                raise Throttled(response.status, code, message, url)
            raise AzureApiError(response.status, code, message, url)


class RequestsTransport:
    """Azure over HTTPS with ``requests`` (effectful: network)."""

    def __init__(self, *, timeout_s: float = TIMEOUT_S) -> None:
        import requests

        self._session = requests.Session()
        self._session.headers["user-agent"] = "inferplan-preflight"
        self._timeout_s = timeout_s

    def get(self, url: str, headers: Mapping[str, str]) -> HttpResponse:
        import requests

        try:
            response = self._session.get(url, headers=dict(headers), timeout=self._timeout_s)
        except requests.RequestException as error:  # DNS, TLS, timeouts: worth a retry
            return HttpResponse(503, {}, {"error": {"code": "Network", "message": str(error)}})
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = {"error": {"code": "NotJson", "message": response.text[:200]}}
        return HttpResponse(
            response.status_code, {k.lower(): v for k, v in response.headers.items()}, body
        )


# The Azure SDK's loggers: azure-identity warns once per credential of the chain that is not
# available (a dozen lines before preflight's own one-line answer).
SDK_LOGGER = "azure"


def quiet_sdk_logging() -> None:
    """Keep the Azure SDK's log records off stderr: a handler that drops them, so Python's
    last-resort handler (WARNING and above to stderr) never prints them. `NoCredentials`
    says what matters in one line; ``--debug`` leaves the SDK's records as they are."""
    sdk = logging.getLogger(SDK_LOGGER)
    if not any(isinstance(h, logging.NullHandler) for h in sdk.handlers):
        sdk.addHandler(logging.NullHandler())
    sdk.propagate = False


def default_token_provider(*, quiet: bool = True) -> Callable[[], str]:
    """Tokens from azure-identity's DefaultAzureCredential (environment, workload identity,
    managed identity, Azure CLI, ...), cached until five minutes before they expire; the SDK's
    logging silenced unless not ``quiet`` (`quiet_sdk_logging`).

    Raises `NoCredentials` with `LOGIN_HELP` when no credential in the chain works.
    """
    from azure.core.exceptions import ClientAuthenticationError
    from azure.identity import DefaultAzureCredential

    if quiet:
        quiet_sdk_logging()

    credential = DefaultAzureCredential()
    cached: dict[str, Any] = {}

    def token() -> str:
        if not cached or cached["expires_on"] - 300 < time.time():
            try:
                access = credential.get_token(ARM_SCOPE)
            except ClientAuthenticationError as error:
                raise NoCredentials(f"{LOGIN_HELP}\n({str(error).splitlines()[0]})") from None
            cached.update(token=access.token, expires_on=access.expires_on)
        return str(cached["token"])

    return token
