"""Write a tiny Llama (config, tokenizer, chat template) that vLLM serves with dummy weights.

Run by the engine environment's Python (it has ``tokenizers``; the project's does not):
``python tests/engine/tiny_model.py FOLDER``. Nothing is downloaded: the tokenizer is trained
here on a few sentences, and ``--load-format dummy`` gives the engine random weights of the
shape ``config.json`` states, so the engine runs the real scheduler, KV cache and server on a
model small enough for two CPU cores.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HIDDEN = 256
LAYERS = 4
HEADS = 4
VOCAB = 512
MAX_POSITIONS = 65536  # above every max-model-len the shipped plans render
SPECIAL = ("<unk>", "<s>", "</s>")

CORPUS = (
    "The quick brown fox jumps over the lazy dog.",
    "A platform team sizes a chat workload for a service level objective.",
    "Time to first token and inter-token latency are measured per request.",
    "The scheduler batches prefill chunks and decode tokens in one step.",
    "Hello, how are you today? Tell me about the weather in Stockholm.",
    "0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ .,;:!?'\"()[]{}<>-_/",
)

CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}{{ message['role'] }}: "
    "{{ message['content'] }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}"
)


def config() -> dict:
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": HIDDEN,
        "intermediate_size": 2 * HIDDEN,
        "num_hidden_layers": LAYERS,
        "num_attention_heads": HEADS,
        "num_key_value_heads": HEADS,
        "head_dim": HIDDEN // HEADS,
        "vocab_size": VOCAB,
        "max_position_embeddings": MAX_POSITIONS,
        "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0,
        "hidden_act": "silu",
        "torch_dtype": "bfloat16",
        "bos_token_id": 1,
        "eos_token_id": 2,
        "tie_word_embeddings": False,
    }


def write_tokenizer(folder: Path) -> int:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB,
        special_tokens=list(SPECIAL),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(CORPUS, trainer)
    tokenizer.save(str(folder / "tokenizer.json"))
    return tokenizer.get_vocab_size()


def write_model(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    size = write_tokenizer(folder)
    if size > VOCAB:
        raise SystemExit(f"tokenizer has {size} tokens, more than the model's {VOCAB}")
    (folder / "config.json").write_text(json.dumps(config(), indent=2) + "\n")
    tokenizer_config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "model_max_length": MAX_POSITIONS,
        "chat_template": CHAT_TEMPLATE,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2) + "\n")
    generation = {"bos_token_id": 1, "eos_token_id": 2}
    (folder / "generation_config.json").write_text(json.dumps(generation, indent=2) + "\n")
    return folder


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: tiny_model.py FOLDER")
    print(write_model(Path(sys.argv[1])))
