"""A GGUF backbone converted once: its dequantized weights, config and tokenizer saved as a plain
transformers folder in the user cache, so that later loads skip the slow GGUF conversion.

The copy is keyed by the GGUF file's digest and the compute dtype, so it holds exactly the tensors
a GGUF load gives: features, and so predictions, are the same either way.
"""

from __future__ import annotations

import copy
import os
import shutil
import warnings
from pathlib import Path

from extract.errors import PiiTaggerNotice
from extract.weights import file_digest, user_cache_dir

DONE = "converted-from.txt"  # written last: a folder without it is not a finished copy


def converted_folder(model: str, gguf_file: str, dtype) -> Path:
    """Where the converted copy of `model`/`gguf_file` in `dtype` lives (whether or not it exists)."""
    digest = file_digest(Path(model).expanduser() / gguf_file)
    return user_cache_dir() / "converted" / f"{digest[:32]}-{str(dtype).removeprefix('torch.')}"


def finished(folder: Path) -> bool:
    return (folder / DONE).is_file()


def save_converted(network, tokenizer, folder: Path, source: str) -> None:
    """Save the loaded backbone and tokenizer as `folder`, whole or not at all; a failure (a full disk,
    a read-only home) is a notice: the next load converts the GGUF file again."""
    from safetensors.torch import save_model

    staging = folder.with_name(f".{folder.name}.{os.getpid()}.partial")
    try:
        staging.mkdir(parents=True)
        # transformers will not save_pretrained a model loaded from GGUF (it counts as quantized), but its
        # dequantized tensors are plain ones: saved as they are, with the config minus that flag.
        save_model(network, str(staging / "model.safetensors"), metadata={"format": "pt"})
        config = copy.deepcopy(network.config)
        if hasattr(config, "quantization_config"):
            del config.quantization_config
        config.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        (staging / DONE).write_text(source + "\n", encoding="utf-8")
        os.replace(staging, folder)
    except (OSError, ValueError, RuntimeError) as err:  # a full disk, or a model transformers will not save
        shutil.rmtree(staging, ignore_errors=True)
        warnings.warn(f"cannot keep a converted copy of {source} in {folder.parent} ({err}); the next load "
                      "converts the GGUF file again", PiiTaggerNotice, stacklevel=2)
