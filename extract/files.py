"""Safe file output: atomic writes and output folders that appear whole or not at all.

Every command writes through these helpers, so an interrupted run never leaves a file or a
folder that looks finished, and nothing is replaced without `overwrite=True`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from extract.errors import PiiTaggerError, MissingInputError


@contextlib.contextmanager
def atomic_open(path: Path | str) -> Iterator:
    """A text handle on a temporary file beside `path`; fsynced and renamed over `path` on success.

    On any error the temporary file is removed and `path` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; these files are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path | str, text: str) -> None:
    """Write `text` to `path` atomically (see `atomic_open`)."""
    with atomic_open(path) as handle:
        handle.write(text)


def atomic_write_json(path: Path | str, obj) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def read_json(path: Path | str, what: str = "file") -> dict:
    """Load a JSON file with an error that names it and says what it was expected to be."""
    path = Path(path)
    if not path.is_file():
        raise MissingInputError(f"{path}: {what} not found")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise PiiTaggerError(f"{path}: {what} is not valid JSON ({err})") from None


def check_can_write(path: Path | str, overwrite: bool, option: str = "--out") -> Path:
    """Refuse an existing, non-empty output folder unless `overwrite`."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise PiiTaggerError(f"{option} {path} exists and is not a folder")
    if path.exists() and any(path.iterdir()) and not overwrite:
        raise PiiTaggerError(f"{option} {path} already exists and is not empty; pass --overwrite to replace it")
    return path


@contextlib.contextmanager
def output_folder(path: Path | str, overwrite: bool = False, option: str = "--out") -> Iterator[Path]:
    """Build a folder under a temporary name; it replaces `path` only if the block succeeds.

    Yields the temporary folder to write into. On any error the temporary folder is removed
    and an existing `path` is left untouched.
    """
    path = check_can_write(path, overwrite, option).absolute()
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    for item in [staging, *staging.rglob("*")]:
        # mkdtemp and some writers make private files; an output folder is meant to be shared.
        os.chmod(item, 0o755 if item.is_dir() else 0o644)
    if path.exists():
        # Move the old folder aside first so that a crash here never loses both.
        old = path.with_name(f".{path.name}.old-{os.getpid()}")
        os.replace(path, old)
        os.replace(staging, path)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, path)


def folder_bytes(path: Path | str) -> int:
    """Total size of the files under a folder."""
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def parse_bytes(text: str) -> int:
    """'8GB', '512 MB', '1.5G', '1000000' -> bytes (binary units)."""
    units = {"": 1, "B": 1, "K": 1 << 10, "KB": 1 << 10, "KIB": 1 << 10, "M": 1 << 20, "MB": 1 << 20,
             "MIB": 1 << 20, "G": 1 << 30, "GB": 1 << 30, "GIB": 1 << 30, "T": 1 << 40, "TB": 1 << 40, "TIB": 1 << 40}
    cleaned = str(text).strip().upper().replace(" ", "")
    number = cleaned.rstrip("KMGTIB")
    unit = cleaned[len(number):]
    try:
        value = float(number)
    except ValueError:
        raise PiiTaggerError(f"cannot read {text!r} as a size (examples: 8GB, 512MB, 1.5G)") from None
    if unit not in units or value < 0:
        raise PiiTaggerError(f"cannot read {text!r} as a size (examples: 8GB, 512MB, 1.5G)")
    return int(value * units[unit])
