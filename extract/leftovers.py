"""The hidden working copies an output leaves beside itself while it is written, and what the next
run does with those of a run that was killed: restored, removed, or listed, never the only copy lost.
"""

from __future__ import annotations

import glob
import os
import re
import shlex
import shutil
import warnings
from pathlib import Path
from typing import Callable

from extract.errors import PiiTaggerNotice

# After ".NAME.": the previous output moved aside ("old-PID" by a folder replace, "replaced-PID" by
# `extract --overwrite` and the demo), or a copy being written ("PID.XXXXXXXX.partial" folders,
# "PID.XXXXXXXX.tmp" files; tempfile's 8 random characters). Older versions wrote no PID.
_LEFTOVER = re.compile(r"(?P<aside>old|replaced)-(?P<pid>\d+)|(?:(?P<writer>\d+)\.)?[a-z0-9_]{8}\.(?:partial|tmp)")


def hidden_prefix(path: Path) -> str:
    """Where this tool hides its working copies of `path`, beside it: ".NAME.", then the PID of the
    process that made them (`old-PID`, `replaced-PID`, `PID.*.partial`, `PID.*.tmp`)."""
    return f".{path.name}."


def clean_leftovers(path: Path | str, complete: Callable[[Path], bool] | None = None) -> list[Path]:
    """Deal with the hidden copies of `path` that a killed run left (their process is gone).

    A copy being written is removed. A previous output moved aside is put back if `path` is
    missing, removed once `path` is complete (`complete(path)`; default: it exists), and kept
    otherwise. Copies of a live process are left alone; those whose maker cannot be told (an
    older version's) are listed with the command that removes them. Returns the paths removed.
    """
    path = Path(os.path.abspath(path))
    prefix = hidden_prefix(path)
    if not path.parent.is_dir():
        return []
    removed, kept, unknown = [], [], []
    for item in sorted(path.parent.glob(f"{glob.escape(prefix)}*"), key=lambda p: p.name):
        match = _LEFTOVER.fullmatch(item.name[len(prefix):])
        if match is None:
            continue
        pid = _pid(match["pid"] or match["writer"])
        if pid is None:
            unknown.append(item)
        elif _process_alive(pid):  # guard: leftovers-of-dead-runs-only
            continue
        elif match["aside"] and not path.exists():
            os.replace(item, path)  # the run died between moving the old output aside and writing the new one
            _notice(f"put back {path.name} from {item.name}, where an interrupted run had moved it")
        elif match["aside"] and not (complete or Path.exists)(path):
            kept.append(item)
        else:
            _remove(item)
            removed.append(item)
    if removed:
        _notice(f"removed what an interrupted run left beside {path}: " + ", ".join(item.name for item in removed))
    if kept:
        _notice(f"the output that an interrupted `overwrite` replaced is kept at {', '.join(map(str, kept))} until "
                f"{path.name} is complete; if you do not need it, remove it with: rm -rf {_quoted(kept)}")
    if unknown:
        _notice(f"{len(unknown)} hidden leftovers of an interrupted run lie beside {path}; if no other run is "
                f"writing there, remove them with: rm -rf {_quoted(unknown)}")
    return removed


def _pid(text: str | None) -> int | None:
    try:
        return int(text) if text is not None and int(text) < 1 << 31 else None
    except ValueError:
        return None


def _process_alive(pid: int) -> bool:
    """Whether `pid` runs on this machine. Where that cannot be asked safely (Windows, where
    os.kill terminates), every process counts as alive: nothing is removed, only listed."""
    if pid == os.getpid() or os.name == "nt":
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):  # someone else's process; a PID beyond this system's
        return True
    return True


def _remove(item: Path) -> None:
    if item.is_dir() and not item.is_symlink():
        shutil.rmtree(item, ignore_errors=True)
    else:
        item.unlink(missing_ok=True)


def _quoted(items: list[Path]) -> str:
    return " ".join(shlex.quote(str(item)) for item in items)


def _notice(message: str) -> None:
    warnings.warn(message, PiiTaggerNotice, stacklevel=3)
