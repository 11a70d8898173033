"""Record GuideLLM reports for the tests (tests/fixtures/loadgen/), from real runs.

Runs GuideLLM 0.8.1 from .venv-loadgen, exactly as ``inferplan verify`` drives it (the same
scenario, `inferplan.verify.loadgen.run_step`), against GuideLLM's own mock OpenAI server, which
answers with a set time to first token and inter-token latency: a real harness, a real HTTP
server, real streaming, no GPU. One server answers every request; a second fails every request
after the fourth with HTTP 500, for the error path.

    ./dev inferplan verify --help >/dev/null   # builds .venv-loadgen once
    .venv-loadgen/bin/python scripts/record_loadgen_fixtures.py tests/fixtures/loadgen

The tokenizer GuideLLM counts prompt tokens with is trained here on a few sentences (nothing is
downloaded). Paths inside the reports are relative to the output folder; the tracebacks GuideLLM
keeps for errored requests name this checkout's folder, which `redact` replaces with ``<repo>``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inferplan.verify.loadgen import StepRequest, run_step  # noqa: E402

GUIDELLM = ROOT / ".venv-loadgen" / "bin" / "guidellm"
CORPUS = (
    "The quick brown fox jumps over the lazy dog.",
    "A platform team sizes a chat workload for a service level objective.",
    "Time to first token and inter-token latency are measured per request.",
)
# (file, port, rate/s, extra mock-server options)
RUNS = (
    ("steady-rate-1.json", 8471, 1.0, ()),
    ("steady-rate-3.json", 8471, 3.0, ()),
    ("errors-rate-2.json", 8472, 2.0, ("--fail-after-requests", "4")),
)
MOCK = ("--ttft-ms", "80", "--ttft-ms-std", "20", "--itl-ms", "12", "--itl-ms-std", "3")


def write_tokenizer(folder: Path) -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=["<unk>", "<s>", "</s>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(CORPUS, trainer)
    tokenizer.save(str(folder / "tokenizer.json"))
    (folder / "tokenizer_config.json").write_text(
        '{"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<s>", '
        '"eos_token": "</s>", "unk_token": "<unk>"}\n'
    )


def serve(port: int, extra: tuple[str, ...]) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            *(str(GUIDELLM), "mock-server", "--host", "127.0.0.1", "--port", str(port)),
            *("--model", "ticket-triage", "--output-tokens", "60", *MOCK, *extra),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
            return server
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit(f"mock server on port {port} did not start")


def redact(path: Path) -> None:
    """The report as recorded, with the checkout's absolute path replaced by ``<repo>``."""
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(str(ROOT), "<repo>"), encoding="utf-8")


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    os.chdir(out)
    write_tokenizer(Path("tokenizer"))
    servers: dict[int, subprocess.Popen] = {}
    try:
        for name, port, rate, extra in RUNS:
            if port not in servers:
                servers[port] = serve(port, extra)
            step = StepRequest(
                target=f"http://127.0.0.1:{port}",
                model="ticket-triage",
                tokenizer="tokenizer",
                input_tokens=128,
                output_tokens=60,
                rate_per_s=rate,
                duration_s=6,
                slo_ttft_ms=150,
                slo_itl_ms=20,
            )
            run = run_step(
                step,
                results=Path(name),
                api_key="recorded-fixture-key",
                executable=GUIDELLM,
                timeout_s=600,
            )
            redact(Path(name))
            print(name, run.version, run.steps[0].requests_ok, "ok", flush=True)
    finally:
        for server in servers.values():
            server.terminate()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests" / "fixtures" / "loadgen")
