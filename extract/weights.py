"""A cheap digest of a backbone's weights, so caches and heads are tied to weights, not to a path.

Local weight files are hashed by size, header and evenly spaced samples (a few MB read for a
14 GB model); a hub model is identified by the commit its files come from.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from extract.errors import MissingInputError

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf", ".msgpack", ".h5", ".ckpt")
HEAD_BYTES = 1 << 20  # safetensors' JSON header and GGUF's tensor table sit in the first bytes
SAMPLE_BYTES = 1 << 16
SAMPLES = 16  # evenly spaced: any re-training or re-quantization changes most of them


def file_digest(path: Path) -> str:
    """sha256 of a file's size, first MiB, 16 evenly spaced 64 KiB samples and last 64 KiB."""
    size = path.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    with path.open("rb") as handle:
        digest.update(handle.read(HEAD_BYTES))
        if size > HEAD_BYTES:
            last = max(HEAD_BYTES, size - SAMPLE_BYTES)  # the final sample ends the file
            for i in range(SAMPLES + 1):
                handle.seek(HEAD_BYTES + (last - HEAD_BYTES) * i // SAMPLES)
                digest.update(handle.read(SAMPLE_BYTES))
    return digest.hexdigest()


def weight_files(folder: Path, gguf_file: str | None = None) -> list[Path]:
    """The files holding a model's weights in a local folder (only `gguf_file` for a GGUF model)."""
    if gguf_file:
        path = folder / gguf_file
        if not path.is_file():
            raise MissingInputError(f"{path}: GGUF file not found")
        return [path]
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in WEIGHT_SUFFIXES
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def weights_identity(name_or_path: str, gguf_file: str | None = None, commit: str | None = None) -> dict:
    """{"sha256": ..., "source": "files" | "hub commit" | "name"} for a backbone.

    A local folder (or single file) is hashed; a hub name is identified by the commit of the
    files `from_pretrained` resolved (`commit`); with neither, only the name can stand for it.
    """
    path = Path(name_or_path).expanduser()
    if path.is_file():
        files, root = [path], path.parent
    elif path.is_dir():
        files, root = weight_files(path, gguf_file), path
        if not files:
            raise MissingInputError(f"{path}: no weight files ({', '.join(WEIGHT_SUFFIXES)}) in this model folder")
    elif commit:
        return {"sha256": hashlib.sha256(f"{name_or_path}@{commit}/{gguf_file or ''}".encode()).hexdigest(),
                "source": "hub commit"}
    else:
        return {"sha256": hashlib.sha256(f"{name_or_path}/{gguf_file or ''}".encode()).hexdigest(), "source": "name"}
    digest = hashlib.sha256()
    for file in files:
        # Names relative to the folder: the same weights copied elsewhere give the same digest.
        digest.update(str(file.relative_to(root)).encode() + b"\0" + file_digest(file).encode())
    return {"sha256": digest.hexdigest(), "source": "files"}
