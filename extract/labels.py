"""Label alignment between character spans and a fast tokenizer's tokens, both ways.

`encode` gives every token that overlaps an entity a BIO (or IO) label; `decode` turns token
labels back into trimmed character spans. Together they give the oracle span F1 of a tokenizer.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from extract.errors import PiiTaggerError
from extract.records import Record, Span

SCHEMES = ("bio", "io")
# The token label of text whose gold type has no counterpart (a label map's `null`): such tokens
# are left out of the loss and of every metric.
IGNORE_LABEL = -1


@dataclass(frozen=True)
class LabelScheme:
    """The token label set: `O` plus `B-X`/`I-X` (bio) or `X` (io) for each entity type."""

    scheme: str  # "bio" (default, adjacent entities stay apart) or "io" (one label per type)
    entity_types: tuple[str, ...]  # sorted entity type names, e.g. ("EMAIL", "FIRSTNAME")

    def __post_init__(self):
        if self.scheme not in SCHEMES:
            raise PiiTaggerError(f"unknown label scheme {self.scheme!r} (expected one of: {', '.join(SCHEMES)})")

    @classmethod
    def from_records(cls, records: Iterable[Record], scheme: str = "bio") -> "LabelScheme":
        return cls(scheme, tuple(sorted({span.label for record in records for span in record.spans})))

    @property
    def labels(self) -> tuple[str, ...]:
        if self.scheme == "io":
            return ("O",) + self.entity_types
        return ("O",) + tuple(f"{prefix}-{t}" for t in self.entity_types for prefix in ("B", "I"))

    @property
    def label2id(self) -> dict[str, int]:
        return {label: i for i, label in enumerate(self.labels)}

    def begin_id(self, entity_type: str) -> int:
        index = self.entity_types.index(entity_type)
        return 1 + index if self.scheme == "io" else 1 + 2 * index

    def inside_id(self, entity_type: str) -> int:
        return self.begin_id(entity_type) + (self.scheme == "bio")

    def entity_of(self) -> np.ndarray:
        """For each label id, the index of its entity type (-1 for O)."""
        width = 1 if self.scheme == "io" else 2
        return np.array([-1] + [i for i in range(len(self.entity_types)) for _ in range(width)], dtype=np.int64)

    def is_begin(self) -> np.ndarray:
        """For each label id, whether it opens an entity (B-X; every X in io)."""
        if self.scheme == "io":
            return np.array([False] + [True] * len(self.entity_types))
        return np.array([False] + [True, False] * len(self.entity_types))

    def to_json(self) -> dict:
        return {
            "scheme": self.scheme,
            "entity_types": list(self.entity_types),
            "labels": list(self.labels),
            "label2id": self.label2id,
            "id2label": {str(i): label for i, label in enumerate(self.labels)},
        }

    @classmethod
    def from_json(cls, obj: dict) -> "LabelScheme":
        scheme = cls(obj["scheme"], tuple(obj["entity_types"]))
        if "labels" in obj and list(obj["labels"]) != list(scheme.labels):
            raise PiiTaggerError("label mapping is inconsistent: its \"labels\" list does not match its scheme and entity types")
        return scheme


def same_word(left: str, right: str) -> bool:
    """Whether two adjacent characters belong to one word: both letters or digits.

    A span never starts or ends between them: "Orthopedics", "2017", "GB29NWBK6016", "Q1" and
    "zł58" are one word each. (Gold spans that cut such a run, like an amount glued to its
    currency, are counted and reported by `prepare`.)
    """
    def word_char(char: str) -> bool:
        # combining accents stay in the word
        return char.isalnum() or unicodedata.category(char).startswith("M")

    return word_char(left) and word_char(right)


# Every code point for which str.isspace() is true lies below U+3001.
_WHITESPACE = np.array([c for c in range(0x3001) if chr(c).isspace()], dtype=np.uint32)


def trim_offsets(text: str, offsets: Sequence[Sequence[int]]) -> np.ndarray:
    """Token offsets without surrounding whitespace (SentencePiece `▁`, byte-level `Ġ`).

    The same as `text[start:end].strip()`, for all tokens at once. A whitespace-only token gets
    an empty range at its end. Returns int64 `[T, 2]`.
    """
    raw = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)  # one per character
    n = len(codes)
    solid = ~np.isin(codes, _WHITESPACE)  # [N]
    positions = np.arange(n, dtype=np.int64)
    # next_solid[i]: first non-space index >= i (n if none); solid_end[i]: 1 + last non-space < i.
    next_solid = np.append(np.minimum.accumulate(np.where(solid, positions, n)[::-1])[::-1], n)
    solid_end = np.concatenate([[0], np.maximum.accumulate(np.where(solid, positions + 1, 0))])
    start, end = next_solid[raw[:, 0]], solid_end[raw[:, 1]]
    empty = start >= end
    return np.stack([np.where(empty, raw[:, 1], start), np.where(empty, raw[:, 1], end)], axis=1)


@dataclass
class AlignmentStats:
    """What encoding gold spans onto tokens could not represent exactly."""

    entities: int = 0  # gold entities encoded
    inexact: int = 0  # entities whose tokens cover more (or less) than the entity's characters
    lost: int = 0  # entities that got no token at all
    straddling_tokens: int = 0  # tokens overlapping two entities (labelled with the larger overlap)
    examples: list[dict] = field(default_factory=list)  # a few inexact cases, for the report

    def merge(self, other: "AlignmentStats", keep: int = 10) -> None:
        self.entities += other.entities
        self.inexact += other.inexact
        self.lost += other.lost
        self.straddling_tokens += other.straddling_tokens
        self.examples.extend(other.examples[: max(0, keep - len(self.examples))])


def encode(
    text: str, offsets: Sequence[Sequence[int]], spans: Sequence[Span], scheme: LabelScheme,
    ignored: Sequence[tuple[int, int]] = (),
) -> tuple[np.ndarray, AlignmentStats]:
    """Per-token label ids `[T]` (int16) for character `spans`, and what did not fit exactly.

    Every token overlapping an entity is labelled (not only the first sub-token: in a causal
    model the later ones have seen more of it). A whitespace-only token strictly inside an
    entity (the spaces of "06 12 34 56 78") continues it. Tokens overlapping an `ignored`
    region and no entity get IGNORE_LABEL.
    """
    raw = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
    trimmed = trim_offsets(text, raw)
    labels = np.zeros(len(raw), dtype=np.int16)
    owner = np.full(len(raw), -1, dtype=np.int64)  # [T]: index into `spans`, -1 for none
    stats = AlignmentStats(entities=len(spans))
    if spans:
        # Spans are sorted and do not overlap (the readers check it), so their ends are sorted
        # too: the entities overlapping [s, e) are those from `first` to `stop`.
        starts = np.array([s.start for s in spans], dtype=np.int64)
        ends = np.array([s.end for s in spans], dtype=np.int64)
        if np.any(np.diff(starts) <= 0) or np.any(starts[1:] < ends[:-1]):
            raise PiiTaggerError("spans must be sorted and must not overlap")
        t_start, t_end = trimmed[:, 0], trimmed[:, 1]
        solid = t_start < t_end
        first = np.searchsorted(ends, t_start, side="right")  # [T]
        stop = np.searchsorted(starts, t_end, side="left")  # [T]
        hits = np.where(solid, stop - first, 0)
        owner[hits == 1] = first[hits == 1]
        for t in np.flatnonzero(hits > 1):  # rare: a token over two entities takes the larger overlap
            candidates = np.arange(first[t], stop[t])
            overlap = np.minimum(ends[candidates], t_end[t]) - np.maximum(starts[candidates], t_start[t])
            owner[t] = candidates[np.argmax(overlap)]
            stats.straddling_tokens += 1
        # A whitespace-only token strictly inside an entity continues it.
        container = np.searchsorted(starts, raw[:, 0], side="right") - 1  # [T]
        inside = ~solid & (raw[:, 0] < raw[:, 1]) & (container >= 0) & (raw[:, 1] <= ends[np.maximum(container, 0)])
        owner[inside] = container[inside]

    if len(ignored):
        regions = np.asarray(ignored, dtype=np.int64).reshape(-1, 2)  # [G, 2], sorted, disjoint
        t_start, t_end = trimmed[:, 0], trimmed[:, 1]
        first_region = np.searchsorted(regions[:, 1], t_start, side="right")  # [T]
        overlaps = (first_region < len(regions)) & (t_start < t_end)
        overlaps &= regions[np.minimum(first_region, len(regions) - 1), 0] < t_end
        labels[overlaps & (owner < 0)] = IGNORE_LABEL
    for e, span in enumerate(spans):
        tokens = np.flatnonzero(owner == e)
        covered = trimmed[tokens]
        covered = covered[covered[:, 0] < covered[:, 1]]
        if len(covered) == 0:  # no token, or only whitespace ones: nothing a decoder could give back
            stats.lost += 1
            stats.examples.append({"entity": text[span.start:span.end], "label": span.label, "problem": "no token"})
            continue
        labels[tokens] = scheme.inside_id(span.label)
        labels[tokens[0]] = scheme.begin_id(span.label)
        if (covered[:, 0].min(), covered[:, 1].max()) != (span.start, span.end) or _has_gap(tokens):
            stats.inexact += 1
            stats.examples.append({
                "entity": text[span.start:span.end],
                "label": span.label,
                "tokens": text[covered[:, 0].min():covered[:, 1].max()],
                "problem": "token boundary",
            })
    return labels, stats


def _has_gap(tokens: np.ndarray) -> bool:
    return bool(len(tokens) > 1 and np.any(np.diff(tokens) != 1))


def decode(text: str, offsets: Sequence[Sequence[int]], label_ids: Sequence[int], scheme: LabelScheme) -> list[Span]:
    """Token label ids -> character spans, trimmed to the non-whitespace characters covered.

    `I-X` after `O` or after another type opens a new entity (the lenient reading, as seqeval's
    default); use Viterbi decoding upstream to forbid such sequences instead.
    """
    labels = np.asarray(label_ids, dtype=np.int64).reshape(-1)  # [T]
    labels = np.where(labels == IGNORE_LABEL, 0, labels)  # gold "no label" decodes as no entity
    trimmed = trim_offsets(text, offsets)  # [T, 2]
    entity = scheme.entity_of()[labels]  # [T], -1 for O
    # A token continues the entity of the token before it when it has the same type and (bio)
    # is not a B-; every other entity token opens a new entity.
    continues = (entity >= 0) & (entity == np.concatenate([[-1], entity[:-1]]))
    if scheme.scheme == "bio":
        continues &= ~scheme.is_begin()[labels]
    opens = (entity >= 0) & ~continues
    run = np.cumsum(opens) - 1  # [T]: the entity each token belongs to (where entity >= 0)
    # An entity spans from its first to its last non-whitespace token; one with none is dropped.
    kept = (entity >= 0) & (trimmed[:, 0] < trimmed[:, 1])
    runs, starts, ends = run[kept], trimmed[kept, 0], trimmed[kept, 1]
    if len(runs) == 0:
        return []
    change = np.flatnonzero(np.diff(runs)) + 1
    first, last = np.concatenate([[0], change]), np.concatenate([change - 1, [len(runs) - 1]])
    types = entity[opens][runs[first]]
    return [Span(int(starts[f]), int(ends[l]), scheme.entity_types[t]) for f, l, t in zip(first, last, types)]
