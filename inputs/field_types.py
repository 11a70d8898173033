"""Value types shared by the workload and environment specs, with the messages they fail with."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, StringConstraints

# Lowercase DNS label: the name becomes part of Kubernetes namespaces and Azure resource names,
# which allow little more than this; 40 characters leaves room for prefixes and suffixes.
DNS_NAME_PATTERN = r"^[a-z]([-a-z0-9]*[a-z0-9])?$"
DNS_NAME_MAX_LENGTH = 40
# Approved template reference (spec.template): ``chat-eu@2``, ``rag@1.3``.
TEMPLATE_REF_PATTERN = r"^[a-z]([-a-z0-9]*[a-z0-9])?@[0-9]+(\.[0-9]+){0,2}$"
# Deliberately loose: Azure checks deliverability; this only catches obvious slips.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"

# Human messages for `string_pattern_mismatch` errors, keyed by the pattern that failed.
PATTERN_MESSAGES: dict[str, str] = {
    DNS_NAME_PATTERN: (
        "must be lowercase letters, digits and '-', start with a letter and end with a letter "
        "or digit (it becomes part of Kubernetes and Azure resource names)"
    ),
    TEMPLATE_REF_PATTERN: "must be a template reference such as 'chat-eu@2' (name@version)",
    EMAIL_PATTERN: "must be an e-mail address such as 'platform@example.com'",
}


def _list_to_tuple(value: Any) -> Any:
    """YAML gives lists; the frozen specs hold tuples. Anything else is left for pydantic."""
    return tuple(value) if isinstance(value, list) else value


LIST_TO_TUPLE = BeforeValidator(_list_to_tuple)  # for tuple fields of other item types


DnsName = Annotated[
    str, StringConstraints(pattern=DNS_NAME_PATTERN, max_length=DNS_NAME_MAX_LENGTH)
]
TemplateRef = Annotated[str, StringConstraints(pattern=TEMPLATE_REF_PATTERN)]
Email = Annotated[str, StringConstraints(pattern=EMAIL_PATTERN)]
NonEmptyStr = Annotated[str, StringConstraints(min_length=1)]
StrTuple = Annotated[tuple[str, ...], BeforeValidator(_list_to_tuple)]
