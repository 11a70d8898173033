"""How the gateway treats a workload's backends: breakers on pool members, retries otherwise.

* A backend pool (two or more regions): each member gets a circuit breaker that trips on a run
  of 429s and 5xx, not on one. ``failure_count = max(5, ceil(5% x requests in the interval))``
  with the interval one minute and the requests the workload's peak rate, so a quota hiccup or
  one bad request never takes a region out, while a region that fails a twentieth of its peak
  traffic for a minute is skipped for a minute (or for the Retry-After it sends)
  [apim-sse.md section 2.5, backends: a tripped member answers 503, the pool's next priority
  serves]. The policy retries ``members - 1`` times, each landing on the next member once the
  breaker of the failing one has tripped.
* A single backend: no breaker, which would turn one region's brief throttling into a minute of
  503s for every caller with nowhere to fail over to. The policy retries 429 and 503 instead,
  waiting out the backend's Retry-After when it is at most ``MAX_RETRY_AFTER_S``; a longer one is
  passed to the caller, whose own client backs off [retry-policy: count and interval accept
  policy expressions].
"""

from __future__ import annotations

import math

from sizing.plan import BackendRetry, CircuitBreaker, GatewayBackends

BREAKER_INTERVAL_S = 60
BREAKER_TRIP_S = 60
BREAKER_MIN_FAILURES = 5
BREAKER_FAILURE_SHARE = 0.05
BREAKER_STATUS_RANGES = ((429, 429), (500, 599))
SINGLE_BACKEND_RETRIES = 2
RETRIED_STATUSES = (429, 503)  # single backend: throttled, or briefly unavailable
FAILOVER_STATUSES = (429, 500, 502, 503, 504)  # pool: anything the next region may answer
MAX_RETRY_AFTER_S = 10  # the longest wait the gateway absorbs for a caller


def breaker_failure_count(*, peak_requests_per_minute: float) -> int:
    expected = peak_requests_per_minute * BREAKER_INTERVAL_S / 60.0
    return max(BREAKER_MIN_FAILURES, math.ceil(expected * BREAKER_FAILURE_SHARE))


def gateway_backends(*, backends: int, peak_requests_per_minute: float) -> GatewayBackends:
    """``backends`` is the number of regions the workload is served from."""
    if backends > 1:
        return GatewayBackends(
            circuit_breaker=CircuitBreaker(
                failure_count=breaker_failure_count(
                    peak_requests_per_minute=peak_requests_per_minute
                ),
                interval_s=BREAKER_INTERVAL_S,
                trip_duration_s=BREAKER_TRIP_S,
                status_code_ranges=BREAKER_STATUS_RANGES,
                accept_retry_after=True,
            ),
            retry=BackendRetry(
                count=backends - 1,
                status_codes=FAILOVER_STATUSES,
                max_retry_after_s=0,
                failover=True,
            ),
        )
    return GatewayBackends(
        circuit_breaker=None,
        retry=BackendRetry(
            count=SINGLE_BACKEND_RETRIES,
            status_codes=RETRIED_STATUSES,
            max_retry_after_s=MAX_RETRY_AFTER_S,
            failover=False,
        ),
    )
