"""Recorded Azure answers: replay them instead of calling Azure, or record real ones.

A recording is one JSON file::

    {"_comment": "what it shows",
     "exchanges": [{"url": "https://management.azure.com/...?api-version=...",
                    "responses": [{"status": 429, "headers": {"retry-after": "7"}},
                                  {"status": 200, "body": {"value": [], "nextLink": null}}]}]}

Each GET of a URL takes the next of its responses; the last one answers every later GET, so a
recording of one 200 serves any number of calls. A URL with no exchange is an error naming it,
so a test cannot pass on an answer nobody recorded. Recording keeps only the headers the client
reads (``retry-after``), never the request's token.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from inferplan.preflight.client import HttpResponse, Transport

KEPT_HEADERS = ("retry-after",)


class RecordingMissing(LookupError):
    """The replayed program asked for a URL the recording does not have."""


class RecordedTransport:
    """Answers GETs from a recording (see the module docstring)."""

    def __init__(self, data: Mapping[str, Any], *, origin: str = "recording") -> None:
        self._origin = origin
        self._queues: dict[str, list[HttpResponse]] = {}
        for exchange in data.get("exchanges", []):
            responses = [
                HttpResponse(
                    int(r["status"]),
                    {str(k).lower(): str(v) for k, v in (r.get("headers") or {}).items()},
                    r.get("body"),
                )
                for r in exchange["responses"]
            ]
            if not responses:
                raise ValueError(f"{origin}: {exchange['url']} has no responses")
            self._queues.setdefault(exchange["url"], []).extend(responses)
        self.requested: list[str] = []

    @classmethod
    def from_file(cls, path: Path) -> RecordedTransport:
        return cls(json.loads(path.read_text(encoding="utf-8")), origin=str(path))

    def get(self, url: str, headers: Mapping[str, str]) -> HttpResponse:
        self.requested.append(url)
        queue = self._queues.get(url)
        if not queue:
            raise RecordingMissing(f"{self._origin}: no recorded answer for GET {url}")
        return queue.pop(0) if len(queue) > 1 else queue[0]


class RecordingTransport:
    """Passes GETs to ``inner`` and keeps every answer, for `save` (effectful: disk)."""

    def __init__(self, inner: Transport) -> None:
        self._inner = inner
        self._exchanges: dict[str, list[dict[str, Any]]] = {}

    def get(self, url: str, headers: Mapping[str, str]) -> HttpResponse:
        response = self._inner.get(url, headers)
        kept = {k: v for k, v in response.headers.items() if k in KEPT_HEADERS}
        entry: dict[str, Any] = {"status": response.status}
        if kept:
            entry["headers"] = kept
        entry["body"] = response.body
        self._exchanges.setdefault(url, []).append(entry)
        return response

    def data(self, comment: str) -> dict[str, Any]:
        return {
            "_comment": comment,
            "exchanges": [
                {"url": url, "responses": responses}
                for url, responses in sorted(self._exchanges.items())
            ],
        }
