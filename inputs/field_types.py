"""Value types shared by the workload and environment specs, with the messages they fail with."""

from __future__ import annotations

import re
import typing
from typing import Annotated, Any

from pydantic import BeforeValidator, StringConstraints

# Lowercase DNS label: the name becomes part of Kubernetes namespaces and Azure resource names,
# which allow little more than this; 40 characters leaves room for prefixes and suffixes.
DNS_NAME_PATTERN = r"^[a-z]([-a-z0-9]*[a-z0-9])?$"
DNS_NAME_MAX_LENGTH = 40
# Approved template reference (spec.template): ``chat-eu@2``, ``rag@1.3``.
TEMPLATE_REF_PATTERN = r"^[a-z]([-a-z0-9]*[a-z0-9])?@[0-9]{1,6}(\.[0-9]{1,6}){0,2}$"
# Deliberately loose: Azure checks deliverability; this only catches obvious slips.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"

# Upper bounds of the numeric fields: finite, far above any real workload, and small enough that
# sizing's arithmetic (replicas, tokens per minute, dollars) stays exact in floats and within
# what Azure and Kubernetes accept (sizing/deploy/azure_limits.py holds the hard deployment limits).
MAX_TOKENS = 10_485_760  # 10 Mi tokens: above the largest context window published (10M)
MAX_CONCURRENCY = 1_000_000  # requests in flight
MAX_REQUESTS_PER_MINUTE = 10_000_000.0  # about 167,000 requests per second
MAX_TTFT_MS = 600_000.0  # ten minutes; API Management closes a backend call after 240 s
MAX_TOKENS_PER_SECOND = 10_000.0  # per request; the fastest published serving is near 2,000
MAX_MONTHLY_USD = 1_000_000_000.0  # a billion US dollars a month

# A time of day, 24-hour HH:MM. ``7:00`` is taken as ``07:00`` (`_pad_hour`).
CLOCK_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"

# Human messages for `string_pattern_mismatch` errors, keyed by the pattern that failed.
PATTERN_MESSAGES: dict[str, str] = {
    DNS_NAME_PATTERN: (
        "must be lowercase letters, digits and '-', start with a letter and end with a letter "
        "or digit (it becomes part of Kubernetes and Azure resource names)"
    ),
    TEMPLATE_REF_PATTERN: "must be a template reference such as 'chat-eu@2' (name@version)",
    EMAIL_PATTERN: "must be an e-mail address such as 'platform@example.com'",
    CLOCK_TIME_PATTERN: "must be a 24-hour time HH:MM, e.g. 07:00 or 19:30",
}


def _list_to_tuple(value: Any) -> Any:
    """YAML gives lists; the frozen specs hold tuples. Anything else is left for pydantic."""
    return tuple(value) if isinstance(value, list) else value


LIST_TO_TUPLE = BeforeValidator(_list_to_tuple)  # for tuple fields of other item types


def _pad_hour(value: Any) -> Any:
    """``7:00`` -> ``07:00``: a one-digit hour is how people write times; the rest of the
    pattern still applies."""
    if isinstance(value, str) and re.fullmatch(r"[0-9]:[0-5][0-9]", value.strip()):
        return "0" + value.strip()
    return value


DnsName = Annotated[
    str, StringConstraints(pattern=DNS_NAME_PATTERN, max_length=DNS_NAME_MAX_LENGTH)
]
TemplateRef = Annotated[str, StringConstraints(pattern=TEMPLATE_REF_PATTERN)]
Email = Annotated[str, StringConstraints(pattern=EMAIL_PATTERN)]
ClockTime = Annotated[
    str, StringConstraints(pattern=CLOCK_TIME_PATTERN), BeforeValidator(_pad_hour)
]
NonEmptyStr = Annotated[str, StringConstraints(min_length=1)]
StrTuple = Annotated[tuple[str, ...], BeforeValidator(_list_to_tuple)]


# --- one case rule for every value ---------------------------------------------------------------
# Names and choices are read without regard to case and written back in their canonical form:
# model ids and precisions (through the catalog), regions and geographies (lowercase, as Azure
# writes armRegionName), and every fixed set of choices (tier: standardv2 is StandardV2).


def _lowercase(value: Any) -> Any:
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, list | tuple):
        return tuple(item.lower() if isinstance(item, str) else item for item in value)
    return value


def choice(literal: Any) -> Any:
    """``Literal[...]`` read case-insensitively: ``Choice(Literal["StandardV2", ...])`` takes
    ``standardv2`` and holds ``StandardV2``. Other values reach the Literal and fail there."""
    canonical = {option.casefold(): option for option in typing.get_args(literal)}

    def to_canonical(value: Any) -> Any:
        return canonical.get(value.casefold(), value) if isinstance(value, str) else value

    return Annotated[literal, BeforeValidator(to_canonical)]


LowercaseStr = Annotated[str, BeforeValidator(_lowercase)]
LowercaseStrTuple = Annotated[tuple[str, ...], BeforeValidator(_lowercase)]
