"""Writes the feature cache: HDF5 shards (whole or absent) and an atomically updated manifest.

A shard is built in memory, written under a temporary name by a background thread while the
next one is computed, and renamed when complete; that rename is what makes it count.
"""

from __future__ import annotations

import json
import os
import shutil
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from extract.cache_format import FORMAT_VERSION, LOCK, MANIFEST, STRING_COLUMNS, STRINGS_DIGEST, TMP_SUFFIX, comparable, \
    diff_fingerprints, fingerprint_hash, layer_dataset, pointer_from_lengths, shard_name, strings_digest
from extract.errors import PiiTaggerError, UnsafeOutputError
from extract.files import (MARKER, atomic_write_json, check_free_space, check_not_current_folder, check_writable,
                           folder_kind, raise_write_error, read_json, write_marker)
from extract.leftovers import clean_leftovers, hidden_prefix
from extract.records import Record

CHUNK_BYTES = 1 << 20  # ~1 MB HDF5 chunks along tokens: whole rows, cheap random shard reads
SHARD_OVERHEAD_BYTES = 1 << 16  # HDF5's headers, chunk index and checksums, above the data itself


@dataclass
class ShardPlan:
    """Which examples of a split go into which shard: a pure function of the data and sizes."""

    split: str
    index: int  # global shard number within the split
    first: int  # first example (index into the split's records)
    last: int  # one past the last example
    tokens: int  # rows the shard will hold


def plan_shards(split: str, token_counts: list[int], shard_tokens: int) -> list[ShardPlan]:
    """Consecutive examples until a shard holds at least `shard_tokens` rows."""
    plans: list[ShardPlan] = []
    first, total = 0, 0
    for i, count in enumerate(token_counts):
        total += count
        if total >= shard_tokens:
            plans.append(ShardPlan(split, len(plans), first, i + 1, total))
            first, total = i + 1, 0
    if first < len(token_counts):
        plans.append(ShardPlan(split, len(plans), first, len(token_counts), total))
    return plans


@dataclass
class ShardBuffer:
    """The rows of one shard, filled batch by batch in any order, written in example order."""

    plan: ShardPlan
    records: list[Record]
    ptr: np.ndarray  # int64 [E+1]
    ids: np.ndarray  # int32 [T]
    labels: np.ndarray  # int16 [T]
    offsets: np.ndarray  # int32 [T, 2]
    features: dict[int, np.ndarray] = field(default_factory=dict)  # layer -> [T, H]
    filled: np.ndarray | None = None  # bool [T]: rows already written (sanity check)

    @classmethod
    def allocate(cls, plan: ShardPlan, records: list[Record], tokenized, layers: list[int], hidden: int,
                 dtype: np.dtype) -> "ShardBuffer":
        ptr = pointer_from_lengths([len(t.ids) for t in tokenized])
        total = int(ptr[-1])
        return cls(
            plan=plan,
            records=records,
            ptr=ptr,
            ids=np.concatenate([t.ids for t in tokenized]).astype(np.int32) if total else np.zeros(0, np.int32),
            labels=np.concatenate([t.labels for t in tokenized]).astype(np.int16) if total else np.zeros(0, np.int16),
            offsets=np.concatenate([t.offsets for t in tokenized]).astype(np.int32) if total else np.zeros((0, 2), np.int32),
            features={layer: np.empty((total, hidden), dtype=dtype) for layer in layers},
            filled=np.zeros(total, dtype=bool),
        )


def write_shard(folder: Path, buffer: ShardBuffer, fingerprint_id: str) -> Path:
    """Write one shard under a temporary name, then rename it into place."""
    if buffer.filled is not None and not buffer.filled.all():
        missing = int((~buffer.filled).sum())
        raise RuntimeError(f"shard {buffer.plan.index} of {buffer.plan.split}: {missing} rows were never computed")
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / shard_name(buffer.plan.index)
    # Unique per process: two writers must never share a half-written file.
    tmp = final.with_name(f"{final.name}.{os.getpid()}{TMP_SUFFIX}")
    columns = string_columns(buffer.records)
    check_free_space(folder, shard_bytes(buffer, columns), f"{buffer.plan.split} shard {buffer.plan.index}")
    try:
        _write_hdf5(tmp, buffer, columns, fingerprint_id)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())  # on disk before the rename makes it count
        os.replace(tmp, final)
    except BaseException as err:
        tmp.unlink(missing_ok=True)  # never a half-written shard left to fill the disk
        raise_write_error(err, final)
        raise
    return final


def string_columns(records: list[Record]) -> dict[str, list[str]]:
    """The examples' strings as the shard stores them: ids, languages, texts, gold spans, ignored regions."""
    return dict(zip(STRING_COLUMNS, ([r.id for r in records], [r.language for r in records], [r.text for r in records],
                                     [json.dumps([list(s) for s in r.spans], ensure_ascii=False) for r in records],
                                     [json.dumps([list(region) for region in r.ignored]) for r in records])))


def planned_bytes(plans: list[ShardPlan], hidden: int, layers: int, itemsize: int) -> int:
    """About what `plans` will take on disk, texts aside: checked before the backbone loads."""
    per_token = hidden * layers * itemsize + 4 * 8  # features, then id, label and two offsets
    return sum(plan.tokens * per_token + SHARD_OVERHEAD_BYTES for plan in plans)


def shard_bytes(buffer: ShardBuffer, columns: dict[str, list[str]]) -> int:
    """About the size of the shard on disk: its arrays and strings, plus HDF5's own structures."""
    arrays = [*buffer.features.values(), buffer.ids, buffer.labels, buffer.offsets, buffer.ptr]
    strings = sum(len(value.encode("utf-8")) + 16 for column in columns.values() for value in column)
    return sum(array.nbytes for array in arrays) + strings + SHARD_OVERHEAD_BYTES


def _write_hdf5(tmp: Path, buffer: ShardBuffer, columns: dict[str, list[str]], fingerprint_id: str) -> None:
    strings = h5py.string_dtype("utf-8")
    checksums = True  # guard: shard-checksum
    with h5py.File(tmp, "w") as h5:
        for layer, array in buffer.features.items():
            rows = max(1, min(len(array), CHUNK_BYTES // max(1, array.shape[1] * array.itemsize)))
            h5.create_dataset(layer_dataset(layer), data=array, chunks=(rows, array.shape[1]) if len(array) else True,
                              fletcher32=checksums)
        for name, array in (("tokens/ids", buffer.ids), ("tokens/labels", buffer.labels),
                            ("tokens/offsets", buffer.offsets), ("examples/ptr", buffer.ptr)):
            h5.create_dataset(name, data=array, fletcher32=checksums)
        for name, column in columns.items():
            h5.create_dataset(name, data=column, dtype=strings)
        h5.attrs[STRINGS_DIGEST] = strings_digest(list(columns.values()))
        h5.attrs.update({
            "format_version": FORMAT_VERSION,
            "fingerprint": fingerprint_id,
            "split": buffer.plan.split,
            "shard": buffer.plan.index,
            "first_example": buffer.plan.first,
            "examples": buffer.plan.last - buffer.plan.first,
            "tokens": buffer.plan.tokens,
        })


def finished_shard(folder: Path, plan: ShardPlan, fingerprint_id: str) -> bool:
    """Whether a complete shard for `plan` from this same fingerprint is already on disk."""
    path = folder / shard_name(plan.index)
    if not path.is_file():
        return False
    try:
        with h5py.File(path, "r") as h5:
            attrs = dict(h5.attrs)
    except OSError:
        return False
    return (attrs.get("fingerprint") == fingerprint_id and int(attrs.get("first_example", -1)) == plan.first
            and int(attrs.get("examples", -1)) == plan.last - plan.first and int(attrs.get("tokens", -1)) == plan.tokens)


STARTING = (LOCK, MARKER)  # all a cache folder holds while `extract` starts it (and the marker's temp file)


def cache_complete(root: Path) -> bool:
    """Whether the cache at `root` says every shard is written (a missing or unreadable manifest: no)."""
    try:
        return json.loads((root / MANIFEST).read_text(encoding="utf-8")).get("complete") is True
    except (OSError, ValueError, AttributeError):
        return False


class CacheLock:
    """One writer per cache: an exclusive lock on CACHE/.lock holding the writer's PID.

    The operating system releases the lock when its process dies, even by kill -9, so a lock
    left by a crashed run is simply taken over.
    """

    def __init__(self, root: Path):
        self.path = Path(root) / LOCK
        self._handle = None

    def acquire(self) -> "CacheLock":
        try:
            handle = open(self.path, "a+", encoding="utf-8")
        except OSError as err:
            raise PiiTaggerError(f"{self.path}: cannot open the cache's lock file ({err.strerror}); remove it if it "
                                 "is not a file this tool wrote, or choose another output folder") from None
        try:
            _lock_file(handle)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            raise PiiTaggerError(f"{self.path.parent} is in use by another `extract` (PID {holder}); wait for it to "
                                 "finish, or choose another output folder") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle
        return self

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing the file releases the lock
            self._handle = None


def _lock_file(handle) -> None:
    """Take an exclusive, non-blocking lock on an open file; OSError if another process holds it."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        return
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # guard: cache-lock


class CacheWriter:
    """Owns a cache folder: checks or starts its manifest, writes shards in the background.

    The main process holds the cache's lock from `__init__` to `close()`.
    """

    def __init__(self, root: Path, fingerprint: dict, overwrite: bool = False, is_main: bool = True):
        self.root = Path(root)
        self.fingerprint = fingerprint
        self.fingerprint_id = fingerprint_hash(fingerprint)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shard-writer")
        self._pending: Future | None = None
        self._finished: set[tuple[str, int]] = set()  # shards known to be whole on disk
        self._lock: CacheLock | None = None
        self._replaced: Path | None = None  # an old cache moved aside by --overwrite
        if is_main:
            try:
                self._claim_folder(overwrite)
            except BaseException:
                self.close()
                raise

    def _claim_folder(self, overwrite: bool) -> None:
        """Lock the folder, then check (or, with `overwrite`, move aside) what it holds."""
        manifest_path = self.root / MANIFEST
        if self.root.exists() and not self.root.is_dir():
            raise UnsafeOutputError(f"`out` {self.root} exists and is not a folder")
        if (self.root / LOCK).is_file() and all(p.name in STARTING or p.name.startswith(f".{MARKER}.")
                                                 for p in self.root.iterdir()):
            # Another `extract` is creating this cache: its lock exists before its marker is whole, and
            # taking the lock says "in use" rather than "not a cache". (Only our own files are there.)
            self._lock = CacheLock(self.root).acquire()
        if self.root.exists() and any(p.name != LOCK for p in self.root.iterdir()):
            if folder_kind(self.root) != "cache":
                raise UnsafeOutputError(
                    f"`out` {self.root} exists, is not empty and is not a cache written by `extract`; "
                    + ("`overwrite` only replaces a cache folder; " if overwrite else "")
                    + "choose another output folder")
        check_writable(self.root if self.root.exists() else self.root.parent)
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = self._lock or CacheLock(self.root).acquire()
        clean_leftovers(self.root, cache_complete)  # an old cache that a killed `overwrite` had moved aside
        if manifest_path.is_file() and overwrite:
            check_not_current_folder(self.root)
            self._move_aside()
        elif manifest_path.is_file():
            old = read_json(manifest_path, "cache manifest")
            if fingerprint_hash(old.get("fingerprint", {})) != self.fingerprint_id:
                differences = diff_fingerprints(comparable(old.get("fingerprint", {})), comparable(self.fingerprint))
                raise PiiTaggerError(
                    f"{self.root} holds a cache made differently; use `overwrite` to start afresh, or "
                    f"another output folder. Differences: " + "; ".join(differences[:8] or ["format of an older version"])
                )
        write_marker(self.root, "cache")
        for leftover in self.root.rglob(f"*{TMP_SUFFIX}"):
            leftover.unlink()  # a shard interrupted mid-write (we hold the lock): recomputed below

    def _move_aside(self) -> None:
        """`overwrite`: the old cache is moved aside whole, and removed once the new one is complete."""
        aside = self.root.with_name(f"{hidden_prefix(self.root)}replaced-{os.getpid()}")
        old_lock = self._lock
        os.replace(self.root, aside)
        self.root.mkdir()
        self._lock = CacheLock(self.root).acquire()
        old_lock.release()
        self._replaced = aside

    def finish(self, complete: bool) -> None:
        """Once the new cache is complete, remove the one `overwrite` replaced."""
        if complete and self._replaced is not None:
            shutil.rmtree(self._replaced, ignore_errors=True)
            self._replaced = None
        if complete:
            clean_leftovers(self.root, cache_complete)  # what a killed `overwrite` kept until now

    def is_finished(self, plan: ShardPlan) -> bool:
        key = (plan.split, plan.index)
        if key not in self._finished and finished_shard(self.root / plan.split, plan, self.fingerprint_id):
            self._finished.add(key)
        return key in self._finished

    def submit(self, buffer: ShardBuffer) -> None:
        """Write `buffer` in the background; waits for the previous write first (bounded memory)."""
        self.wait()
        self._pending = self._pool.submit(write_shard, self.root / buffer.plan.split, buffer, self.fingerprint_id)

    def wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()  # re-raises a write error here, in the main thread

    def close(self) -> None:
        try:
            self.wait()
        finally:
            self._pool.shutdown(wait=True)
            if self._lock is not None:
                self._lock.release()
                self._lock = None

    def write_manifest(self, plans: dict[str, list[ShardPlan]], split_info: dict[str, dict], extra: dict) -> dict:
        """Rewrite the manifest from what is on disk now; `complete` once every shard is there."""
        splits = {}
        all_done = True
        for split, split_plans in plans.items():
            done = [p for p in split_plans if self.is_finished(p)]
            all_done &= len(done) == len(split_plans)
            splits[split] = {
                **split_info[split],
                "shards_planned": len(split_plans),
                "shards": [{"file": f"{split}/{shard_name(p.index)}", "first_example": p.first,
                            "examples": p.last - p.first, "tokens": p.tokens} for p in done],
                "complete": len(done) == len(split_plans),
            }
        manifest = {
            "format_version": FORMAT_VERSION,
            "fingerprint": self.fingerprint,
            "fingerprint_id": self.fingerprint_id,
            **extra,
            "splits": splits,
            "complete": all_done,
        }
        atomic_write_json(self.root / MANIFEST, manifest)
        return manifest
