"""Safe file output: atomic writes and output folders that appear whole or not at all.

Every command writes through these helpers, so an interrupted run never leaves a file or a
folder that looks finished, and nothing is replaced without `overwrite=True`.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from extract.errors import MissingInputError, PiiTaggerError, UnsafeOutputError
from extract.leftovers import clean_leftovers, hidden_prefix


@contextlib.contextmanager
def atomic_open(path: Path | str, mode: int = 0o644, newline: str | None = None) -> Iterator:
    """A text handle on a temporary file beside `path`; fsynced and renamed over `path` on success.

    On any error the temporary file is removed and `path` is left as it was.
    """
    path = Path(path)
    if path.is_dir():
        raise UnsafeOutputError(f"{path} is a folder; give a file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f"{hidden_prefix(path)}{os.getpid()}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        _raise_write_error(err, path)
        raise
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)  # mkstemp makes it private; most outputs are meant to be shared
        os.replace(tmp, path)
    except BaseException as err:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        _raise_write_error(err, path)
        raise


def atomic_write_text(path: Path | str, text: str) -> None:
    """Write `text` to `path` atomically (see `atomic_open`)."""
    with atomic_open(path) as handle:
        handle.write(text)


def atomic_write_json(path: Path | str, obj) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def read_utf8(path, error: type[PiiTaggerError] = PiiTaggerError) -> str:
    """A data file's text (a Path or an importlib.resources file); bytes that are not UTF-8 are
    `error`, naming the file and the byte: never guessed at."""
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise error(f"{path}: not valid UTF-8 ({err.reason} at byte {err.start})") from None


def read_json(path: Path | str, what: str = "file") -> dict:
    """Load a JSON file with an error that names it and says what it was expected to be."""
    path = Path(path)
    if not path.is_file():
        raise MissingInputError(f"{path}: {what} not found")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise PiiTaggerError(f"{path}: {what} is not valid JSON ({err})") from None


# Every output folder this tool writes carries this marker, naming what kind of folder it is:
# `overwrite` replaces a folder only when its marker says it is of the same kind.
MARKER = ".pii-tagger.json"
TOOL = "llm-pii-tagger"


def _a(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


OUTPUT_KINDS = ("prepared", "cache", "head", "evaluation", "export", "demo", "score")
_FULL_DISK_WORDS = ("No space left on device", "Disk quota exceeded", "StorageFull")
_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EROFS, errno.EPERM, errno.EISDIR}


def folder_kind(path: Path | str) -> str | None:
    """The kind of output folder this tool wrote at `path` (from its marker), or None."""
    path = Path(path)
    marker = path / MARKER
    if marker.is_file():
        try:
            info = json.loads(marker.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError, OSError):
            return None
        if isinstance(info, dict) and info.get("tool") == TOOL and info.get("kind") in OUTPUT_KINDS:
            return info["kind"]
    return None


def write_marker(folder: Path | str, kind: str) -> None:
    if kind not in OUTPUT_KINDS:
        raise PiiTaggerError(f"unknown output kind {kind!r}")
    atomic_write_json(Path(folder) / MARKER, {"tool": TOOL, "kind": kind})


def check_disjoint(out: Path | str, inputs, option: str = "out", allow_inside: bool = False) -> None:
    """Refuse an output that is, contains, or (unless `allow_inside`) lies inside one of the inputs.

    Replacing such a folder would delete what the command is about to read.
    """
    target = Path(out).resolve()  # guard: inputs-outputs-disjoint
    for item in inputs:
        if item is None:
            continue
        source = Path(item).resolve()
        if target == source:
            raise UnsafeOutputError(f"`{option}` {out} is also an input of this command; choose another folder")
        if source.is_relative_to(target):
            raise UnsafeOutputError(f"`{option}` {out} contains the input {item}; replacing it would delete that input")
        if not allow_inside and target.is_relative_to(source) and source.is_dir():
            raise UnsafeOutputError(f"`{option}` {out} lies inside the input folder {item}; choose a folder outside it")


def check_can_write(path: Path | str, overwrite: bool, option: str = "out", kind: str | None = None) -> Path:
    """Refuse what `output_folder` would refuse, before any long work starts.

    An existing, non-empty folder is replaced only with `overwrite` and only when this tool wrote
    it as a folder of the same `kind`; the parent folder must be writable.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UnsafeOutputError(f"`{option}` {path} exists and is not a folder")
    clean_leftovers(path)
    if path.exists():
        check_not_current_folder(path, option)
    if path.exists() and any(path.iterdir()):
        if not overwrite:
            raise UnsafeOutputError(f"`{option}` {path} already exists and is not empty; use `overwrite` to replace it")
        found = folder_kind(path)
        if kind is not None and found != kind:  # guard: overwrite-kind
            what = f"{_a(found)} {found} folder" if found else "not a folder written by this tool"
            raise UnsafeOutputError(f"`{option}` {path} is {what}, not {_a(kind)} {kind} folder: `overwrite` only "
                                    f"replaces {_a(kind)} {kind} folder this tool wrote; choose another `{option}`")
    check_writable(path.absolute().parent, option)
    return path


def check_not_current_folder(path: Path | str, option: str = "out") -> None:
    """A folder to be replaced must not be the one this process runs in, nor hold it."""
    if Path.cwd().resolve().is_relative_to(Path(path).resolve()):  # guard: not-the-current-folder
        raise UnsafeOutputError(f"`{option}` {path} is the current folder or holds it; replacing it would remove the "
                                f"folder this command runs in: run it from elsewhere, or choose another `{option}`")


def check_output_file(path: Path | str, overwrite: bool, option: str = "output", inputs=()) -> None:
    """An output file: not a folder, not an input, replaced only with `overwrite`, in a writable folder."""
    path = Path(path)
    if path.is_dir():
        raise UnsafeOutputError(f"`{option}` {path} is a folder; give a file name")
    clean_leftovers(path)
    check_disjoint(path, [item for item in inputs if item is not None and str(item) != "-"], option)
    if path.exists() and not overwrite:
        raise UnsafeOutputError(f"`{option}` {path} already exists; use `overwrite` to replace it")
    check_writable(path.absolute().parent, option)


def check_own_files(folder: Path | str, names, overwrite: bool, option: str = "out") -> None:
    """Files this command writes into a shared folder: refused if present without `overwrite`."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UnsafeOutputError(f"`{option}` {folder} exists and is not a folder")
    for name in names:
        target = folder / name
        if target.is_dir():
            raise UnsafeOutputError(f"`{option}` {folder}: {name} is a folder; choose another `{option}`")
        if target.exists() and not overwrite:
            raise UnsafeOutputError(f"`{option}` {folder} already holds {name}; use `overwrite` to replace it "
                                    "(other files there are left alone)")
    check_writable(folder, option)


def remove_files(folder: Path | str, names) -> None:
    for name in names:
        with contextlib.suppress(FileNotFoundError):
            (Path(folder) / name).unlink()


def check_writable(folder: Path | str, option: str = "out") -> None:
    """Create (and remove) a probe file in `folder`, or the nearest existing parent."""
    folder = Path(folder)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        fd, probe = tempfile.mkstemp(prefix=".write-probe.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise PiiTaggerError(f"`{option}`: cannot write in {folder} ({err.strerror})") from None


@contextlib.contextmanager
def output_folder(path: Path | str, overwrite: bool = False, option: str = "out",
                  kind: str | None = None) -> Iterator[Path]:
    """Build a folder under a temporary name; it replaces `path` only if the block succeeds.

    Yields the temporary folder to write into. On any error the temporary folder is removed
    and an existing `path` is left untouched. `kind` is recorded in the folder's marker, and an
    existing folder is replaced only if it is of that kind (see `check_can_write`); callers check
    with `check_disjoint` that the output is not one of their inputs.
    """
    path = Path(os.path.abspath(check_can_write(path, overwrite, option, kind)))
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{hidden_prefix(path)}{os.getpid()}.", suffix=".partial", dir=path.parent))
    try:
        yield staging
        if kind is not None:
            write_marker(staging, kind)
        for item in [staging, *staging.rglob("*")]:
            # mkdtemp and some writers make private files; an output folder is meant to be shared.
            os.chmod(item, 0o755 if item.is_dir() else 0o644)
    except BaseException as err:
        shutil.rmtree(staging, ignore_errors=True)
        _raise_write_error(err, path)
        raise
    replace_folder(staging, path)


def replace_folder(new: Path, path: Path) -> None:
    """Put `new` at `path`; an old folder there is moved aside first and removed only afterwards."""
    if path.exists():
        # Move the old folder aside first so that a crash here never loses both.
        old = path.with_name(f"{hidden_prefix(path)}old-{os.getpid()}")
        os.replace(path, old)
        os.replace(new, path)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, path)


def _raise_write_error(err: BaseException, path: Path) -> None:
    """A full disk or a read-only folder becomes a one-line error naming the output."""
    if isinstance(err, OSError) and not isinstance(err, PiiTaggerError) and err.errno in _WRITE_ERRNOS:
        raise PiiTaggerError(f"cannot write {path}: {err.strerror}"
                             + (f" ({err.filename})" if err.filename else "")) from None
    if not isinstance(err, PiiTaggerError) and any(words in str(err) for words in _FULL_DISK_WORDS):
        # Writers in other languages (safetensors' Rust, HDF5's C) report a full disk in their own error types.
        raise PiiTaggerError(f"cannot write {path}: no space left on the device") from None


def raise_write_error(err: BaseException, path: Path | str) -> None:
    """Turn a full disk or an unwritable folder met while writing `path` into a one-line error; any
    other error is left to the caller to re-raise."""
    _raise_write_error(err, Path(path))


def check_free_space(folder: Path | str, needed: int, what: str, option: str = "out") -> None:
    """Refuse, before writing, `needed` bytes into a folder whose disk has less free."""
    folder = Path(folder)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    free = shutil.disk_usage(folder).free
    if needed > free:  # guard: free-space
        raise PiiTaggerError(f"`{option}` {folder}: {what} needs about {human_bytes(needed)}, and only "
                             f"{human_bytes(free)} is free on that disk; free some space or choose another folder")


def folder_bytes(path: Path | str) -> int:
    """Total size of the files under a folder."""
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def parse_bytes(text: str, setting: str = "max_memory") -> int:
    """'8GB', '512 MB', '1.5G', '1000000' -> bytes (binary units); errors name `setting`."""
    units = {"": 1, "B": 1, "K": 1 << 10, "KB": 1 << 10, "KIB": 1 << 10, "M": 1 << 20, "MB": 1 << 20,
             "MIB": 1 << 20, "G": 1 << 30, "GB": 1 << 30, "GIB": 1 << 30, "T": 1 << 40, "TB": 1 << 40, "TIB": 1 << 40}
    cleaned = str(text).strip().upper().replace(" ", "")
    number = cleaned.rstrip("KMGTIB")
    unit = cleaned[len(number):]
    try:
        value = float(number)
    except ValueError:
        raise PiiTaggerError(f"`{setting}`: cannot read {text!r} as a size (examples: 8GB, 512MB, 1.5G)") from None
    if unit not in units or value < 0:
        raise PiiTaggerError(f"`{setting}`: cannot read {text!r} as a size (examples: 8GB, 512MB, 1.5G)")
    return int(value * units[unit])
