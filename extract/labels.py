"""Label alignment between character spans and a fast tokenizer's tokens, both ways.

`encode` gives every token that overlaps an entity a BIO (or IO) label; `decode` turns token
labels back into trimmed character spans. Together they give the oracle span F1 of a tokenizer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from extract.records import Record, Span

SCHEMES = ("bio", "io")


@dataclass(frozen=True)
class LabelScheme:
    """The token label set: `O` plus `B-X`/`I-X` (bio) or `X` (io) for each entity type."""

    scheme: str  # "bio" (default, adjacent entities stay apart) or "io" (the older workflow's)
    entity_types: tuple[str, ...]  # sorted entity type names, e.g. ("EMAIL", "FIRSTNAME")

    def __post_init__(self):
        if self.scheme not in SCHEMES:
            raise ValueError(f"unknown label scheme {self.scheme!r} (expected one of: {', '.join(SCHEMES)})")

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
            raise ValueError("label mapping is inconsistent: `labels` does not match scheme and entity types")
        return scheme


def trim_offsets(text: str, offsets: Sequence[Sequence[int]]) -> np.ndarray:
    """Token offsets without surrounding whitespace (SentencePiece `▁`, byte-level `Ġ`).

    A whitespace-only token gets an empty range at its end. Returns int64 `[T, 2]`.
    """
    trimmed = np.zeros((len(offsets), 2), dtype=np.int64)
    for i, (start, end) in enumerate(offsets):
        piece = text[start:end]
        stripped = piece.strip()
        if not stripped:
            trimmed[i] = (end, end)
            continue
        lead = len(piece) - len(piece.lstrip())
        trimmed[i] = (start + lead, start + lead + len(stripped))
    return trimmed


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
    text: str, offsets: Sequence[Sequence[int]], spans: Sequence[Span], scheme: LabelScheme
) -> tuple[np.ndarray, AlignmentStats]:
    """Per-token label ids `[T]` (int16) for character `spans`, and what did not fit exactly.

    Every token overlapping an entity is labelled (not only the first sub-token: in a causal
    model the later ones have seen more of it). A whitespace-only token strictly inside an
    entity (the spaces of "06 12 34 56 78") continues it.
    """
    raw = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
    trimmed = trim_offsets(text, raw)
    labels = np.zeros(len(raw), dtype=np.int16)
    owner = np.full(len(raw), -1, dtype=np.int64)
    stats = AlignmentStats(entities=len(spans))
    starts = np.array([s.start for s in spans], dtype=np.int64)
    ends = np.array([s.end for s in spans], dtype=np.int64)

    for t, (t_start, t_end) in enumerate(trimmed):
        if t_start < t_end:
            overlap = np.minimum(ends, t_end) - np.maximum(starts, t_start)
            hits = np.flatnonzero(overlap > 0)
            if len(hits) > 1:
                stats.straddling_tokens += 1
            if len(hits):
                owner[t] = hits[np.argmax(overlap[hits])]
        else:
            inside = np.flatnonzero((starts <= raw[t, 0]) & (raw[t, 1] <= ends) & (raw[t, 0] < raw[t, 1]))
            if len(inside):
                owner[t] = inside[0]

    for e, span in enumerate(spans):
        tokens = np.flatnonzero(owner == e)
        if len(tokens) == 0:
            stats.lost += 1
            stats.examples.append({"entity": text[span.start:span.end], "label": span.label, "problem": "no token"})
            continue
        covered = trimmed[tokens]
        covered = covered[covered[:, 0] < covered[:, 1]]
        if len(covered) == 0:  # only whitespace tokens: nothing a decoder could give back
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
    trimmed = trim_offsets(text, offsets)
    entity_of = scheme.entity_of()
    is_begin = scheme.is_begin()
    spans: list[Span] = []
    current_type, current_start, current_end = -1, -1, -1

    def close():
        if current_type >= 0 and current_start < current_end:
            spans.append(Span(int(current_start), int(current_end), scheme.entity_types[current_type]))

    for t, label in enumerate(label_ids):
        entity = entity_of[label]
        t_start, t_end = trimmed[t]
        continues = entity >= 0 and entity == current_type and (scheme.scheme == "io" or not is_begin[label])
        if not continues:
            close()
            current_type, current_start, current_end = entity, -1, -1
            if entity < 0:
                continue
        if t_start < t_end:
            current_start = t_start if current_start < 0 else current_start
            current_end = t_end
    close()
    return spans
