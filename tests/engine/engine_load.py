"""Load on the real engine: streamed completions timed token by token, under a closed loop or
Poisson arrivals, and what they give (TTFT, ITL, throughput).

One thread, asyncio and the standard library only (the project's environment has no async HTTP
client, and a thread per request would compete with the engine for the same two cores). Prompts
are token ids, drawn at random so no two share a prefix, and answers run to ``max_tokens``
(``ignore_eos``), so every request has exactly the lengths the model is given. Each streamed
chunk carries the ids it adds (``return_token_ids``): a chunk of ``k`` tokens counts as ``k``
gaps of a ``k``-th of its wait, as ``vllm bench serve`` counts them.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# Ids the tiny model's tokenizer does not treat as special (tests/engine/tiny_model.py: 0-2).
FIRST_PLAIN_ID = 3


@dataclass
class RequestTiming:
    """One request as the client saw it (seconds since the run began)."""

    sent: float
    first: float = math.nan
    done: float = math.nan
    tokens: int = 0
    gaps: list[float] = field(default_factory=list)  # seconds between streamed tokens
    error: str | None = None

    @property
    def ttft(self) -> float:
        return self.first - self.sent


@dataclass(frozen=True)
class LoadResult:
    """What a run measured over its requests after the warm-up (milliseconds, tokens/s)."""

    requests: int
    ttft_p50_ms: float
    ttft_p95_ms: float
    itl_p50_ms: float
    itl_p95_ms: float
    output_tps: float  # output tokens per second over the measured requests' window
    errors: int


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolation percentile (numpy's default), NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    at = q * (len(ordered) - 1)
    low = math.floor(at)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (at - low)


def summarise(timings: list[RequestTiming]) -> LoadResult:
    ok = [t for t in timings if t.error is None and t.tokens]
    ttfts = [t.ttft * 1e3 for t in ok]
    gaps = [g * 1e3 for t in ok for g in t.gaps]
    if ok:
        window = max(t.done for t in ok) - min(t.sent for t in ok)
        tps = sum(t.tokens for t in ok) / window if window > 0 else math.nan
    else:
        tps = math.nan
    return LoadResult(
        requests=len(ok),
        ttft_p50_ms=percentile(ttfts, 0.5),
        ttft_p95_ms=percentile(ttfts, 0.95),
        itl_p50_ms=percentile(gaps, 0.5),
        itl_p95_ms=percentile(gaps, 0.95),
        output_tps=tps,
        errors=len(timings) - len(ok),
    )


def sse_events(buffer: bytearray) -> list[bytes]:
    """Complete ``data:`` payloads at the front of ``buffer`` (removed from it); a partial
    event stays for the next read."""
    events = []
    while True:
        end = buffer.find(b"\n\n")
        if end < 0:
            return events
        block = bytes(buffer[:end])
        del buffer[: end + 2]
        for line in block.split(b"\n"):
            if line.startswith(b"data:"):
                events.append(line[5:].strip())


def chunk_tokens(payload: bytes) -> int:
    """Token ids a streamed completion chunk adds (0 for ``[DONE]`` and usage-only chunks)."""
    if payload == b"[DONE]":
        return 0
    choices = json.loads(payload).get("choices") or []
    return sum(len(c.get("token_ids") or ()) for c in choices)


class Client:
    """Streams completions from one engine: ``await client.run(prompt, out, clock)``."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        seed: int = 1,
        vocab: int = 512,
        headers: dict[str, str] | None = None,
    ):
        self.headers = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.model = model
        self.rng = random.Random(seed)
        self.vocab = vocab

    def prompt(self, tokens: int) -> list[int]:
        return [self.rng.randrange(FIRST_PLAIN_ID, self.vocab) for _ in range(tokens)]

    async def run(self, prompt_tokens: int, output_tokens: int, start: float) -> RequestTiming:
        body = json.dumps(
            {
                "model": self.model,
                "prompt": self.prompt(prompt_tokens),
                "max_tokens": output_tokens,
                "min_tokens": output_tokens,
                "ignore_eos": True,
                "temperature": 0.0,
                "stream": True,
                "return_token_ids": True,
            }
        ).encode()
        head = (
            f"POST /v1/completions HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n{self.headers}"
            "Connection: close\r\n\r\n"
        ).encode()
        timing = RequestTiming(sent=time.perf_counter() - start)
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port)
        except OSError as err:
            timing.error = str(err)
            return timing
        try:
            writer.write(head + body)
            await writer.drain()
            await self._read(reader, timing, start)
        except (OSError, ValueError, asyncio.IncompleteReadError) as err:
            timing.error = str(err)
        finally:
            writer.close()
        return timing

    async def _read(self, reader: asyncio.StreamReader, timing: RequestTiming, start: float):
        status = await reader.readline()
        if b" 200 " not in status:
            raise ValueError(f"engine answered {status.decode().strip()}")
        chunked = False
        while (line := await reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"transfer-encoding:") and b"chunked" in line.lower():
                chunked = True
        buffer = bytearray()
        last = math.nan
        while True:
            if chunked:
                size = int((await reader.readline()).split(b";")[0], 16)
                if size == 0:
                    break
                data = await reader.readexactly(size + 2)
                buffer += data[:-2]
            else:
                data = await reader.read(65536)
                if not data:
                    break
                buffer += data
            now = time.perf_counter() - start
            for payload in sse_events(buffer):
                k = chunk_tokens(payload)
                if not k:
                    continue
                if timing.tokens == 0:
                    timing.first = now
                    k_gaps = k - 1
                    gap = 0.0
                else:
                    k_gaps = k
                    gap = (now - last) / k
                timing.gaps.extend([gap] * k_gaps)
                timing.tokens += k
                last = now
        timing.done = last


async def closed_loop(
    client: Client,
    *,
    clients: int,
    requests: int,
    warmup: int,
    prompt: int,
    output: int,
    output_spread: float = 0.0,
    seed: int = 1,
) -> list[RequestTiming]:
    """``clients`` clients, each sending its next request when its last one is answered, until
    ``warmup + requests`` have been sent; the first ``warmup`` to be sent are not returned.
    ``output_spread``: answers drawn uniformly within that share of ``output`` (the simulator's
    closed loop does the same: identical answers lock clients into cohorts for good)."""
    rng = random.Random(seed)
    spread = int(output * output_spread)
    start = time.perf_counter()
    issued = 0
    results: list[tuple[int, RequestTiming]] = []

    async def one_client() -> None:
        nonlocal issued
        while issued < warmup + requests:
            index = issued
            issued += 1
            answer = rng.randint(max(output - spread, 1), output + spread)
            results.append((index, await client.run(prompt, answer, start)))

    await asyncio.gather(*(one_client() for _ in range(clients)))
    return [t for i, t in sorted(results, key=lambda r: r[0]) if i >= warmup]


async def poisson(
    client: Client,
    *,
    rate_per_s: float,
    requests: int,
    warmup: int,
    prompt: int,
    output: int,
    seed: int = 1,
) -> list[RequestTiming]:
    """Requests at exponential gaps of mean ``1 / rate_per_s``; the first ``warmup`` are not
    returned."""
    rng = random.Random(seed)
    start = time.perf_counter()
    tasks = []
    due = 0.0
    for _ in range(warmup + requests):
        due += rng.expovariate(rate_per_s)
        delay = due - (time.perf_counter() - start)
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(client.run(prompt, output, start)))
    timings = await asyncio.gather(*tasks)
    return list(timings[warmup:])


async def burst(client: Client, *, requests: int, prompt: int, output: int) -> list[RequestTiming]:
    """``requests`` requests sent at once (the decode-step measurement's batches)."""
    start = time.perf_counter()
    return list(await asyncio.gather(*(client.run(prompt, output, start) for _ in range(requests))))


def histogram_counts(metrics_text: str, name: str) -> list[tuple[float, float]]:
    """``(upper bound, cumulative count)`` of a Prometheus histogram in ``/metrics`` text."""
    pattern = re.compile(re.escape(name) + r'_bucket\{[^}]*le="([^"]+)"[^}]*\} (\S+)')
    return sorted((float(le), float(count)) for le, count in pattern.findall(metrics_text))


def histogram_delta(
    before: list[tuple[float, float]], after: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    """The observations made between two scrapes of one histogram."""
    old = dict(before)
    return [(le, count - old.get(le, 0.0)) for le, count in after]


def histogram_quantile(buckets: list[tuple[float, float]], q: float) -> float:
    """Prometheus's ``histogram_quantile``: linear within the bucket the rank falls in."""
    if not buckets or buckets[-1][1] <= 0:
        return math.nan
    rank = q * buckets[-1][1]
    low_le, low_count = 0.0, 0.0
    for le, count in buckets:
        if count >= rank:
            if math.isinf(le):
                return low_le
            inside = count - low_count
            return low_le + (le - low_le) * ((rank - low_count) / inside if inside else 0.0)
        low_le, low_count = le, count
    return buckets[-1][0]
