"""One engine start for the tier: the dev stack's rendered vLLM command line on a tiny Llama.

All tests that talk to the server live in one module, so under ``--dist loadfile`` one worker
starts the engine once. ``engine_server.py`` holds the helper for other tiers to reuse.
"""

from __future__ import annotations

import pytest

from tests.engine.engine_server import (
    cpu_server_args,
    engine_unavailable,
    make_tiny_model,
    running_engine,
)

API_KEY = "engine-tier-test-key"  # a fixed test value, never a credential


@pytest.fixture(scope="session")
def engine_model(tmp_path_factory: pytest.TempPathFactory):
    reason = engine_unavailable()
    if reason:
        pytest.skip(reason)
    return make_tiny_model(tmp_path_factory.mktemp("engine-model") / "tiny-llama")


@pytest.fixture(scope="session")
def dev_workload(dev_plan):
    """The dev stack's self-hosted workload: its rendered command line is the one started."""
    return next(w for w in dev_plan.workloads if w.aks is not None)


@pytest.fixture(scope="session")
def engine(engine_model, dev_workload, tmp_path_factory: pytest.TempPathFactory):
    """The real engine serving the dev workload's flags (device-only ones dropped), with an
    API key, on 127.0.0.1; stopped at the end of the session."""
    args, _dropped = cpu_server_args(dev_workload.aks.vllm_args)
    log = tmp_path_factory.mktemp("engine-log") / "engine.log"
    with running_engine(
        engine_model,
        log=log,
        served_model_name=dev_workload.name,
        args=args,
        api_key=API_KEY,
    ) as server:
        yield server
