"""A digest of a backbone's weights, so caches and heads are tied to weights, not to a path.

Local weight files are hashed whole, once: the digest is remembered in the user's cache folder
under the file's path and stat, so the next load is instant. A hub model is identified by the
commit its files come from.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tqdm.auto import tqdm

from extract.errors import MissingInputError, PiiTaggerNotice
from extract.files import atomic_write_json

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf", ".msgpack", ".h5", ".ckpt")
CHUNK_BYTES = 8 << 20  # read size while hashing
PROGRESS_BYTES = 1 << 30  # files this large show a progress bar while they are hashed
CACHE_DIR_ENV = "PII_TAGGER_CACHE_DIR"  # where digests are remembered (default ~/.cache/llm-pii-tagger)
DIGESTS_FILE = "weight-digests.json"
FULL = "full"  # how weights are hashed now (every byte), recorded beside the digest
HASH_THREADS = 4  # weight files hashed side by side (a sharded 7B model has 2 to 8)
# A file changed within this long of its hash may share its stamp with the next change (coarse
# file-system clocks): such a digest is used but not remembered.
RACY_NS = 2_000_000_000
# The sampled digest of older versions, to recognise what they wrote.
SAMPLED_HEAD_BYTES, SAMPLE_BYTES, SAMPLES = 1 << 20, 1 << 16, 16

# What `from_pretrained` accepts as a hub name: "name" or "owner/name", never a path-like "./x".
HUB_NAME = re.compile(r"[A-Za-z0-9_][\w.-]*(/[A-Za-z0-9_][\w.-]*)?")


def check_model_location(name_or_path: str, setting: str = "model") -> None:
    """A backbone that is neither an existing file or folder nor a hub name: one clear line, early."""
    if Path(name_or_path).expanduser().exists() or HUB_NAME.fullmatch(name_or_path):
        return
    raise MissingInputError(f"`{setting}` {name_or_path}: no such folder (and not a model name on the hub)")


def local_backbone(name_or_path: str) -> list[Path]:
    """The local file or folder a backbone is read from (none for a hub name): an input of the
    command, which no output may replace or sit inside."""
    path = Path(name_or_path).expanduser()
    return [path] if path.exists() else []


def user_cache_dir() -> Path:
    """`$PII_TAGGER_CACHE_DIR`, else `$XDG_CACHE_HOME/llm-pii-tagger`, else ~/.cache/llm-pii-tagger."""
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser() / "llm-pii-tagger"


def file_stamp(path: Path) -> list[int]:
    """What changes whenever a file's bytes may have: size, mtime, and ctime (which a copy, a write or
    a restored mtime all move, and which nobody can set back), on the same inode."""
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_dev]


def file_digest(path: Path) -> str:
    """sha256 of every byte of a file; remembered by (path, stamp), so only a changed file is read again."""
    return file_digests([path])[0]


def file_digests(paths: list[Path]) -> list[str]:
    """`file_digest` of each file; those not remembered are read side by side (hashlib releases the GIL)."""
    paths = [Path(path).resolve() for path in paths]
    stamps = [file_stamp(path) for path in paths]
    memo = _read_memo()
    digests: dict[Path, str] = {}
    for path, stamp in zip(paths, stamps):
        entry = memo.get(str(path))
        if isinstance(entry, dict) and entry.get("stamp") == stamp and not entry.get("racy"):  # guard: full-weights-hash
            digests[path] = str(entry.get("sha256"))
    missing = [(path, stamp) for path, stamp in zip(paths, stamps) if path not in digests]
    if missing:
        with ThreadPoolExecutor(max_workers=min(HASH_THREADS, len(missing))) as pool:
            for (path, stamp), digest in zip(missing, pool.map(lambda item: _hash_file(*item), missing)):
                digests[path] = digest
                if file_stamp(path) == stamp:  # not written to while it was read
                    # Too recent a change is known (to find the folder again) but not trusted next time.
                    racy = time.time_ns() - max(stamp[1], stamp[2]) <= RACY_NS
                    memo[str(path)] = {"stamp": stamp, "sha256": digest, **({"racy": True} if racy else {})}
        _write_memo({name: entry for name, entry in memo.items() if Path(name).exists()})
    return [digests[path] for path in paths]


def sampled_file_digest(path: Path) -> str:
    """The digest older versions recorded (size, first MiB, 17 samples of 64 KiB): read only to
    recognise the backbone of a head or cache they wrote, never recorded any more."""
    size = path.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    with path.open("rb") as handle:
        digest.update(handle.read(SAMPLED_HEAD_BYTES))
        if size > SAMPLED_HEAD_BYTES:
            last = max(SAMPLED_HEAD_BYTES, size - SAMPLE_BYTES)
            for i in range(SAMPLES + 1):
                handle.seek(SAMPLED_HEAD_BYTES + (last - SAMPLED_HEAD_BYTES) * i // SAMPLES)
                digest.update(handle.read(SAMPLE_BYTES))
    return digest.hexdigest()


def _hash_file(path: Path, stamp: list[int]) -> str:
    size = stamp[0]
    digest = hashlib.sha256()
    with path.open("rb") as handle, tqdm(total=size, unit="B", unit_scale=True, desc=f"hashing {path.name} (once)",
                                         disable=size < PROGRESS_BYTES, leave=False) as bar:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
            bar.update(len(chunk))
    return digest.hexdigest()


def _read_memo() -> dict:
    try:
        memo = json.loads((user_cache_dir() / DIGESTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # none yet, unreadable or damaged: hashing again is always correct
        return {}
    return memo if isinstance(memo, dict) else {}


def _write_memo(memo: dict) -> None:
    try:
        atomic_write_json(user_cache_dir() / DIGESTS_FILE, memo)
    except (OSError, ValueError) as err:  # costs the next load a full read, nothing else
        warnings.warn(f"cannot remember weight digests in {user_cache_dir()} ({err}); the next load reads the "
                      f"weights again (set {CACHE_DIR_ENV} to a writable folder)", PiiTaggerNotice, stacklevel=3)


def weight_files(folder: Path, gguf_file: str | None = None) -> list[Path]:
    """The files holding a model's weights in a local folder (only `gguf_file` for a GGUF model)."""
    if gguf_file:
        path = folder / gguf_file
        if not path.is_file():
            raise MissingInputError(f"{path}: GGUF file not found")
        return [path]
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in WEIGHT_SUFFIXES
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def weights_identity(name_or_path: str, gguf_file: str | None = None, commit: str | None = None,
                     sampled: bool = False) -> dict:
    """{"sha256": ..., "source": "files" | "hub commit" | "name"} for a backbone, with "hash": "full"
    for local files.

    A local folder (or single file) is hashed, every byte (`sampled`: the way older versions did,
    to compare with what they recorded); a hub name is identified by the commit of the files
    `from_pretrained` resolved (`commit`); with neither, only the name can stand for it.
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
    hashes = [sampled_file_digest(file) for file in files] if sampled else file_digests(files)
    for file, file_hash in zip(files, hashes):
        # Names relative to the folder: the same weights copied elsewhere give the same digest.
        digest.update(str(file.relative_to(root)).encode() + b"\0" + file_hash.encode())
    if sampled:
        return {"sha256": digest.hexdigest(), "source": "files"}
    return {"sha256": digest.hexdigest(), "source": "files", "hash": FULL}


def recorded_sampled(identity: dict | None) -> bool:
    """Whether a recorded identity is an older version's sampled digest of local files."""
    return isinstance(identity, dict) and identity.get("source") == "files" and identity.get("hash") != FULL


# How a head names the backbone it was trained on (`portable_backbone`): the demo's embedded model by
# this name, a hub model by its id, a local folder by its own name and its weights digest. Never a
# path of the machine that trained it.
EMBEDDED_SMOLLM2 = "embedded:smollm2"


def portable_backbone(name_or_path: str) -> dict:
    """{"name_or_path", "source": "embedded" | "hub" | "local"} for a head to record."""
    from extract.offline_models import embedded_smollm2_folder

    path = Path(name_or_path).expanduser()
    if not path.exists():
        return {"name_or_path": name_or_path, "source": "hub"}
    if path.resolve() == embedded_smollm2_folder():
        return {"name_or_path": EMBEDDED_SMOLLM2, "source": "embedded"}
    return {"name_or_path": path.resolve().name, "source": "local"}


def find_backbone(recorded: dict) -> str:
    """The name or folder to load for a backbone a head recorded (see `portable_backbone`).

    A local folder is found on this machine by its weights digest, among the files whose digests
    were remembered here; heads written before recorded a path, used as it is.
    """
    from extract.offline_models import smollm2_gguf

    source, name = recorded.get("source"), recorded["name_or_path"]
    if source == "embedded":
        return str(smollm2_gguf()[0])
    if source != "local":
        return name
    wanted = (recorded.get("weights") or {}).get("sha256")
    for folder in _remembered_folders():
        try:
            if weights_identity(str(folder), recorded.get("gguf_file")).get("sha256") == wanted:
                return str(folder)
        except (OSError, MissingInputError):
            continue
    raise MissingInputError(f"the head was trained on a local copy of {name!r} (weights sha256 {str(wanted)[:12]}), "
                            "and no folder on this machine is known to hold those weights: set `model` to it")


def _remembered_folders() -> list[Path]:
    """Folders holding files whose digests this machine remembers, most recently listed first."""
    folders = dict.fromkeys(Path(name).parent for name in reversed(list(_read_memo())))
    return [folder for folder in folders if folder.is_dir()]
