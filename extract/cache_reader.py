"""Reads the feature cache for `fit-head`, `evaluate` and benchmarks, without any model.

`CacheReader` checks the manifest (format version, completeness, shard fingerprints) before
handing out features of chosen layers and splits, with labels, offsets and the gold truth.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import h5py
import numpy as np

from extract.errors import MissingInputError, NonFiniteError, PiiTaggerError, PiiTaggerNotice
from extract.cache_format import FORMAT_VERSION, MANIFEST, STRING_COLUMNS, STRINGS_DIGEST, concat_ptr, fingerprint_hash, \
    layer_dataset, strings_digest
from extract.files import read_json
from extract.labels import IGNORE_LABEL, LabelScheme
from extract.layers import resolve_layers
from extract.records import Record, Span


@dataclass
class SplitData:
    """Tokens of a split (or of one shard) with their gold truth; features optional."""

    features: np.ndarray | None  # [T, D * len(layers)], layers concatenated in the order asked
    labels: np.ndarray  # int64 [T]
    ptr: np.ndarray  # int64 [E+1]: tokens of example e are rows ptr[e]:ptr[e+1]
    offsets: np.ndarray  # int64 [T, 2], raw character offsets into each example's text
    token_ids: np.ndarray  # int64 [T]
    records: list[Record]  # id, language, text and gold spans of each example

    @property
    def n_tokens(self) -> int:
        return len(self.labels)

    def example_rows(self, e: int) -> slice:
        return slice(int(self.ptr[e]), int(self.ptr[e + 1]))


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else value


def check_finite(features: np.ndarray, path: Path, ptr: np.ndarray, records: Sequence[Record],
                 block_rows: int = 8192) -> None:
    """Refuse NaN or infinite features, naming the shard and the first text that holds one.

    A non-finite feature would make a head's weights NaN, and a NaN head finds no PII.
    """
    for start in range(0, len(features), block_rows):  # guard: finite-features
        block = features[start:start + block_rows]
        if not np.isfinite(block).all():
            row = start + int(np.flatnonzero(~np.isfinite(block).all(axis=1))[0])
            example = int(np.searchsorted(ptr, row, side="right")) - 1
            raise NonFiniteError(f"{path}: non-finite feature values (NaN or inf) at row {row}, text "
                                 f"{records[example].id!r}; this cache cannot be used; re-run `cli.py extract` "
                                 "with `overwrite`")


class CacheReader:
    """An opened, checked feature cache."""

    def __init__(self, path: Path | str, require_complete: bool = True):
        self.path = Path(path)
        self._told_unchecked = False  # the notice on shards without checksums is given once
        if not self.path.is_dir():
            raise MissingInputError(f"`cache` {self.path}: no such folder (run `cli.py extract` first)")
        self.manifest = read_json(self.path / MANIFEST, "cache manifest (is this a folder made by `cli.py extract`?)")
        version = self.manifest.get("format_version")
        if version != FORMAT_VERSION:
            raise PiiTaggerError(f"`cache` {self.path}: cache format version {version}, this version of the tool reads "
                             f"version {FORMAT_VERSION}; re-run `cli.py extract` with `overwrite`")
        if require_complete and not self.manifest.get("complete"):
            unfinished = [s for s, info in self.manifest.get("splits", {}).items() if not info.get("complete")]
            raise PiiTaggerError(f"`cache` {self.path}: the cache is incomplete (unfinished splits: "
                             f"{', '.join(unfinished) or '?'}); re-run the same `cli.py extract` command to finish it")
        try:
            self.fingerprint: dict = self.manifest["fingerprint"]
            self.fingerprint_id: str = self.manifest["fingerprint_id"]
            if fingerprint_hash(self.fingerprint) != self.fingerprint_id:  # guard: manifest-fingerprint-hash
                # The shards carry the id of the fingerprint they were made with: a manifest edited
                # by hand (labels, layers, backbone) no longer describes them.
                raise PiiTaggerError(f"{self.path / MANIFEST}: the fingerprint was changed after extraction (it no "
                                     "longer matches its id or the shards); re-run `cli.py extract` with `overwrite`")
            self.scheme = LabelScheme.from_json(self.fingerprint["labels"])
            self.layers: list[int] = list(self.fingerprint["layers"])
            self.num_layers: int = int(self.fingerprint["backbone"]["num_layers"])
            self.hidden_size: int = int(self.fingerprint["backbone"]["hidden_size"])
            for split, info in self.manifest["splits"].items():
                self._check_shard_list(split, info)
        except (KeyError, TypeError) as err:
            raise PiiTaggerError(f"{self.path / MANIFEST}: not a valid cache manifest (missing {err}); re-run "
                             "`cli.py extract` with `overwrite`") from None


    def _check_shard_list(self, split: str, info: dict) -> None:
        """A finished split lists every planned shard, back to back, adding up to its totals: a shard
        dropped from the list would otherwise silently drop its texts from training and reports."""
        shards = info["shards"]
        if not info.get("complete"):
            return
        starts = [int(shard["first_example"]) for shard in shards]
        ends = [start + int(shard["examples"]) for start, shard in zip(starts, shards)]
        examples, tokens = sum(int(s["examples"]) for s in shards), sum(int(s["tokens"]) for s in shards)
        problem = None
        if len(shards) != int(info["shards_planned"]):
            problem = f"lists {len(shards)} of its {info['shards_planned']} shards"
        elif starts[:1] not in ([], [0]) or starts[1:] != ends[:-1]:
            problem = "lists shards that leave examples out"
        elif (examples, tokens) != (int(info["examples"]), int(info["tokens"])):
            problem = (f"lists shards of {examples} examples and {tokens} tokens, not the {info['examples']} and "
                       f"{info['tokens']} it states")
        if problem:  # guard: manifest-shard-count
            raise PiiTaggerError(f"{self.path / MANIFEST}: the {split} split {problem}; re-run the same "
                                 "`cli.py extract` command to rebuild the manifest")

    @property
    def splits(self) -> list[str]:
        return list(self.manifest["splits"])

    def resolve_layers(self, specs: str | Sequence, option: str = "layers") -> list[int]:
        """Absolute indices for user specs ('-1', '0.5', '16'), each checked to be cached."""
        layers = resolve_layers(specs, self.num_layers, option)
        missing = [layer for layer in layers if layer not in self.layers]
        if missing:
            raise PiiTaggerError(f"`{option}`: layer(s) {missing} are not in the cache {self.path}, which holds "
                             f"layers {self.layers} of {self.num_layers} (re-run extract with these layers to add them)")
        return layers

    def _split_info(self, split: str) -> dict:
        if split not in self.manifest["splits"]:
            raise PiiTaggerError(f"`cache` {self.path} has no {split!r} split (it has: {', '.join(self.splits)})")
        return self.manifest["splits"][split]

    def shard_paths(self, split: str) -> list[Path]:
        paths = []
        for shard in self._split_info(split)["shards"]:
            path = self.path / shard["file"]
            if not path.is_file():
                raise MissingInputError(f"`cache` {self.path}: shard {shard['file']} listed in the manifest is missing")
            paths.append(path)
        return paths

    def n_tokens(self, split: str) -> int:
        return sum(int(shard["tokens"]) for shard in self._split_info(split)["shards"])

    def n_examples(self, split: str) -> int:
        return sum(int(shard["examples"]) for shard in self._split_info(split)["shards"])

    def feature_width(self, layers: Sequence[int]) -> int:
        return self.hidden_size * len(layers)

    def _open(self, path: Path) -> h5py.File:
        try:
            h5 = h5py.File(path, "r")
        except OSError as err:
            raise PiiTaggerError(f"{path}: not a readable cache shard ({err}); delete it and re-run the same "
                             "`cli.py extract` command to recompute it") from None
        try:
            self._check_shard(path, h5)
        except BaseException:
            h5.close()
            raise
        return h5

    def _check_shard(self, path: Path, h5: h5py.File) -> None:
        """The shard's attributes and array shapes against its manifest entry: cheap, no data read."""
        if h5.attrs.get("fingerprint") != self.fingerprint_id:  # guard: shard-check
            raise PiiTaggerError(f"{path}: this shard belongs to another extraction than {self.path / MANIFEST}")
        entry = self._entries.get(path.relative_to(self.path).as_posix())
        redo = "; re-run `cli.py extract` with `overwrite`"
        try:
            tokens, examples = int(h5.attrs["tokens"]), int(h5.attrs["examples"])
            shapes = {name: h5[name].shape for name in ("tokens/ids", "tokens/labels", "tokens/offsets",
                                                       "examples/ptr", "examples/text", "examples/ignored")}
            ptr_ends = (int(h5["examples/ptr"][0]), int(h5["examples/ptr"][-1]))
            feature_shapes = {layer: h5[layer_dataset(layer)].shape for layer in self.layers}
        except (KeyError, IndexError, ValueError) as err:
            raise PiiTaggerError(f"{path}: damaged cache shard ({err}){redo}") from None
        if entry is not None and (int(entry["tokens"]) != tokens or int(entry["examples"]) != examples
                                  or int(entry["first_example"]) != int(h5.attrs["first_example"])):
            raise PiiTaggerError(f"{path}: the manifest says {entry['tokens']} tokens and {entry['examples']} examples, "
                                 f"the shard holds {tokens} and {examples}{redo}")
        expected = {"tokens/ids": (tokens,), "tokens/labels": (tokens,), "tokens/offsets": (tokens, 2),
                    "examples/ptr": (examples + 1,), "examples/text": (examples,), "examples/ignored": (examples,)}
        wrong = [name for name, shape in expected.items() if shapes[name] != shape]
        wrong += [layer_dataset(layer) for layer, shape in feature_shapes.items() if shape != (tokens, self.hidden_size)]
        if wrong or ptr_ends != (0, tokens):
            raise PiiTaggerError(f"{path}: damaged cache shard ({', '.join(wrong) or 'examples/ptr'} do not match "
                                 f"{tokens} tokens and {examples} examples){redo}")

    @property
    def _entries(self) -> dict[str, dict]:
        """Manifest entry of every finished shard, by file name relative to the cache."""
        return {shard["file"]: shard for info in self.manifest["splits"].values() for shard in info["shards"]}

    def read_shard(self, path: Path, layers: Sequence[int] | None, dtype=np.float32,
                   out: np.ndarray | None = None) -> SplitData:
        """One shard; features go into `out` when given (a preallocated view)."""
        try:
            return self._read_shard(path, layers, dtype, out)
        except OSError as err:  # HDF5 refuses a chunk whose fletcher32 checksum does not match
            raise PiiTaggerError(f"{path}: damaged cache shard ({err}); delete it and re-run the same "
                                 "`cli.py extract` command to recompute it") from None

    def _read_shard(self, path: Path, layers: Sequence[int] | None, dtype, out: np.ndarray | None) -> SplitData:
        with self._open(path) as h5:
            features = None
            if layers:
                n = int(h5.attrs["tokens"])
                features = out if out is not None else np.empty((n, self.feature_width(layers)), dtype=dtype)
                for i, layer in enumerate(layers):
                    columns = slice(i * self.hidden_size, (i + 1) * self.hidden_size)
                    if dtype == h5[layer_dataset(layer)].dtype:
                        h5[layer_dataset(layer)].read_direct(features, dest_sel=np.s_[:, columns])
                    else:
                        features[:, columns] = h5[layer_dataset(layer)][()]
            columns = [[_text(value) for value in h5[name][()]] for name in STRING_COLUMNS]
            self._check_strings(path, h5.attrs.get(STRINGS_DIGEST), columns)
            records = [Record(i, lang, text, tuple(Span(*s) for s in json.loads(spans)),
                              tuple(tuple(region) for region in json.loads(ignored)))
                       for i, lang, text, spans, ignored in zip(*columns)]
            labels = h5["tokens/labels"][()].astype(np.int64)
            ptr = h5["examples/ptr"][()]
            offsets = h5["tokens/offsets"][()].astype(np.int64)
            token_ids = h5["tokens/ids"][()].astype(np.int64)
        if labels.size and (labels.min() < IGNORE_LABEL or labels.max() >= len(self.scheme.labels)):
            raise PiiTaggerError(f"{path}: token labels outside the manifest's {len(self.scheme.labels)} labels; "
                                 "re-run `cli.py extract` with `overwrite`")
        if features is not None:
            check_finite(features, path, ptr, records)
        return SplitData(features, labels, ptr, offsets, token_ids, records)

    def _check_strings(self, path: Path, expected, columns: list[list[str]]) -> None:
        """The example strings against the shard's sha256; a shard from before checksums gets a notice."""
        if expected is None:
            if not self._told_unchecked:
                self._told_unchecked = True
                warnings.warn(f"`cache` {self.path} was written before shards carried checksums: a damaged byte "
                              "would go unnoticed; re-run `cli.py extract` with `overwrite` to add them",
                              PiiTaggerNotice, stacklevel=2)
            return
        if strings_digest(columns) != _text(expected):  # guard: shard-strings-digest
            raise PiiTaggerError(f"{path}: damaged cache shard (its texts, ids or gold spans do not match their "
                                 "checksum); delete it and re-run the same `cli.py extract` command to recompute it")

    def iter_shards(self, split: str, layers: Sequence[int] | None, dtype=np.float32) -> Iterator[SplitData]:
        """Shards of a split one at a time, in example order: bounded memory."""
        for path in self.shard_paths(split):
            yield self.read_shard(path, layers, dtype)

    def read_split(self, split: str, layers: Sequence[int] | None = None, dtype=np.float32) -> SplitData:
        """A whole split in memory, shards concatenated in example order."""
        return self.read_splits((split,), layers, dtype)

    def read_splits(self, splits: Sequence[str], layers: Sequence[int] | None = None, dtype=np.float32) -> SplitData:
        """Splits in memory one after the other (train then val for a refit), read into one buffer."""
        shards = []
        for split in splits:
            listed = self._split_info(split)["shards"]
            if not listed:
                raise PiiTaggerError(f"`cache` {self.path}: the {split} split has no finished shard")
            shards += zip(self.shard_paths(split), listed)
        total = sum(int(shard["tokens"]) for _, shard in shards)
        features = np.empty((total, self.feature_width(layers)), dtype=dtype) if layers else None
        parts: list[SplitData] = []
        row = 0
        for path, shard in shards:
            n = int(shard["tokens"])
            parts.append(self.read_shard(path, layers, dtype, out=features[row:row + n] if layers else None))
            row += n
        return SplitData(features, np.concatenate([p.labels for p in parts]), concat_ptr([p.ptr for p in parts]),
                         np.concatenate([p.offsets for p in parts]), np.concatenate([p.token_ids for p in parts]),
                         [r for p in parts for r in p.records])
