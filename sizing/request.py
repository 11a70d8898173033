"""What the optimizer needs to know about one workload, as plain values.

The spec layer turns a validated ``Workload`` into a ``SizingRequest``; keeping this type inside
sizing lets the engine be called from tests, notebooks and the CLI with plain numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Deployment = Literal["auto", "azure-openai", "aks-vllm"]


@dataclass(frozen=True)
class SizingRequest:
    name: str
    model: str  # catalog id or alias
    precisions: tuple[str, ...]  # allowed precision ids; empty means any the catalog offers
    deployment: Deployment
    max_input_tokens: int
    max_output_tokens: int
    avg_input_tokens: int
    avg_output_tokens: int
    peak_concurrency: int
    peak_requests_per_minute: float | None  # None: derived from concurrency and latency
    ttft_p95_ms: float
    output_tokens_per_second_p50: float
    availability: float  # percent, e.g. 99.9
    regions: tuple[str, ...]  # allowed, in preference order
    geography: str | None
    strict_residency: bool
    streaming: bool = True
    max_tokens: int | None = None  # generation.max_tokens; defaults to max_output_tokens
    max_monthly_usd: float | None = None
    average_to_peak_ratio: float = 0.35  # for usage-billed offers
    reservation: Literal["none", "monthly", "yearly"] = "none"  # PTU commitment allowed
    # Hidden reasoning tokens per request (Azure OpenAI reasoning models); None: the catalog's
    # figure for the model's default reasoning effort.
    reasoning_tokens: int | None = None

    @property
    def max_tokens_cap(self) -> int:
        return self.max_tokens if self.max_tokens is not None else self.max_output_tokens

    @property
    def max_model_len(self) -> int:
        return self.max_input_tokens + self.max_output_tokens
