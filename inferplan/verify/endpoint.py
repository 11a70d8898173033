"""Where verify sends its load, with which key, and whether anything answers there.

The endpoint is ``--endpoint URL``, else the stack's ``endpoints`` output (``{workload:
https://<gateway>/<workload>/v1}``, exported by the Pulumi program), read with ``pulumi stack
output endpoints --json --stack STACK``; without the Pulumi CLI (offline, in CI without a
backend) ``--endpoint`` is required. The key is read from the environment variable ``--key-env``
names and never printed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Mapping


class EndpointError(Exception):
    """No endpoint, no key, or nothing answering: one line for the user, exit 2."""


def base_url(endpoint: str) -> str:
    """GuideLLM's target: the endpoint without a trailing ``/v1`` (it adds ``/v1/...``)."""
    url = endpoint.rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise EndpointError(f"--endpoint {endpoint!r}: not an http:// or https:// URL")
    return url[: -len("/v1")] if url.endswith("/v1") else url


def stack_endpoint(stack: str, workload: str, *, pulumi: str | None = None) -> str:
    """The workload's URL from the stack's ``endpoints`` output (needs the Pulumi CLI)."""
    pulumi = pulumi or shutil.which("pulumi")
    if pulumi is None:
        raise EndpointError(
            "no --endpoint and no Pulumi CLI to read the stack's `endpoints` output: pass "
            "--endpoint URL (the workload's https://<gateway>/<workload>/v1)"
        )
    done = subprocess.run(
        [pulumi, "stack", "output", "endpoints", "--json", "--stack", stack],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise EndpointError(f"pulumi stack output endpoints --stack {stack}: {last}")
    endpoints = json.loads(done.stdout or "{}")
    if workload not in endpoints:
        raise EndpointError(f"stack {stack}'s `endpoints` output has no {workload!r}")
    return str(endpoints[workload])


def endpoint_key(key_env: str | None, environ: Mapping[str, str]) -> str | None:
    """The key in ``$key_env`` (None when no variable is named); an empty one is a mistake."""
    if key_env is None:
        return None
    key = environ.get(key_env, "")
    if not key:
        raise EndpointError(f"--key-env {key_env}: the environment variable is not set")
    return key


def probe(target: str, *, api_key: str | None, timeout_s: float = 10.0) -> None:
    """Ask ``GET {target}/v1/models`` once; raise `EndpointError` if nothing answers or the
    key is refused. Any other answer (even an error status) means the endpoint is there."""
    request = urllib.request.Request(f"{target}/v1/models", method="GET")
    if api_key:
        request.add_header("Authorization", f"Bearer {api_key}")
        request.add_header("api-key", api_key)  # what the gateway reads
    try:
        with urllib.request.urlopen(request, timeout=timeout_s):
            return
    except urllib.error.HTTPError as error:
        if error.code in (401, 403):
            raise EndpointError(
                f"{target}: the endpoint refused the key (HTTP {error.code})"
            ) from None
        return
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise EndpointError(f"{target}: endpoint cannot be reached ({reason})") from None
