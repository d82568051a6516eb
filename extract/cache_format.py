"""The feature cache's on-disk contract, shared by its writer and its reader.

Names, the format version and the fingerprint: what must match for a cache to be resumed,
read by a head, or compared with another. No model and no torch here.
"""

from __future__ import annotations

import hashlib
import json
from typing import Sequence

import numpy as np

FORMAT_VERSION = 2  # 2: weights digest in the fingerprint, shard checks, ignore masks
MANIFEST = "manifest.json"
TMP_SUFFIX = ".tmp"
LOCK = ".lock"
# Where the backbone and tokenizer were loaded from: recorded for the user, but the weights digest
# and the tokenizer hash identify them, so the same files at another path (or spelled with a
# trailing /) are the same backbone.
LOCATION_KEYS = {"backbone": ("name_or_path", "gguf_file", "revision", "commit"), "tokenizer": ("name",)}


# Shards written since checksums exist: HDF5's fletcher32 filter guards every numeric chunk (checked by
# the library on each read), and a sha256 of the example strings (a filter cannot cover those) is an
# attribute. Older shards have neither and are read with a notice.
STRINGS_DIGEST = "strings_sha256"
STRING_COLUMNS = ("examples/id", "examples/language", "examples/text", "examples/spans", "examples/ignored")


def strings_digest(columns: Sequence[Sequence[str]]) -> str:
    """sha256 of the example string columns (ids, languages, texts, spans, ignored regions)."""
    return hashlib.sha256(json.dumps([list(column) for column in columns], ensure_ascii=False).encode("utf-8")).hexdigest()


def shard_name(index: int) -> str:
    return f"shard-{index:05d}.h5"


def layer_dataset(layer: int) -> str:
    return f"features/layer_{layer}"


def comparable(fingerprint: dict) -> dict:
    """The fingerprint without where the backbone was loaded from (see LOCATION_KEYS)."""
    out = dict(fingerprint)
    for part, keys in LOCATION_KEYS.items():
        if isinstance(out.get(part), dict):
            out[part] = {k: v for k, v in out[part].items() if k not in keys}
    return out


def fingerprint_hash(fingerprint: dict) -> str:
    """A stable hash of a fingerprint dict, stored in every shard to tie it to its manifest."""
    return hashlib.sha256(json.dumps(comparable(fingerprint), sort_keys=True).encode("utf-8")).hexdigest()[:16]


def diff_fingerprints(old: dict, new: dict, prefix: str = "") -> list[str]:
    """Human-readable differences between two nested fingerprint dicts ('key: old -> new')."""
    differences = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        name = f"{prefix}{key}"
        if isinstance(a, dict) and isinstance(b, dict):
            differences += diff_fingerprints(a, b, prefix=f"{name}.")
        elif a != b:
            differences.append(f"{name}: {_short(a)} -> {_short(b)}")
    return differences


def _short(value) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 70 else text[:67] + "..."


IDENTITY_KEYS = {
    "backbone": ("weights", "model_type", "hidden_size", "num_layers"),
    "tokenizer": ("vocab_size", "sha256"),
}


def features_fingerprint(fingerprint: dict) -> dict:
    """The part of a cache fingerprint that decides what the features mean (not which data).

    A head trained on one cache applies to another cache, or to new text, only when these
    agree: same backbone weights and tokenizer, same input format. The compute dtype and int8
    quantization are left out on purpose: they round the same features differently (a head trained
    on bf16 GPU features works on fp32 CPU features of the same model).
    """
    out = {}
    for part, keys in IDENTITY_KEYS.items():
        out[part] = {key: fingerprint[part].get(key) for key in keys}
    out["input_format"] = dict(fingerprint["input_format"])
    return out


def pointer_from_lengths(lengths: Sequence[int]) -> np.ndarray:
    """Example lengths -> int64 pointer [E+1] (example e is rows ptr[e]:ptr[e+1])."""
    ptr = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=ptr[1:])
    return ptr


def concat_ptr(ptrs: Sequence[np.ndarray]) -> np.ndarray:
    """Pointers of consecutive blocks -> the pointer of their concatenation."""
    return pointer_from_lengths(np.concatenate([np.diff(ptr) for ptr in ptrs]) if ptrs else [])
