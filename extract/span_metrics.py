"""Predicted against gold character spans: entity matching in three modes, and label-blind
character-level redaction counts (what a redactor hides against what it should hide).

Entity modes: `strict` (same label, start and end: seqeval's metric), `overlap` (same label,
some shared character) and `detection` (some shared character, label ignored). `overlap` and
`detection` match one to one, so a text-wide span or a fragmented entity cannot score 1.0.
Ignore regions (gold labels without a counterpart here) reward and punish nothing.
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from extract.errors import PiiTaggerError
from extract.records import Span

MODES = ("strict", "overlap", "detection")
ANY = "ANY"  # the single class of label-blind detection
# Rows of the gold x predicted overlap matrix computed at once: bounds memory on a text with
# thousands of spans (1024 x 10,000 int64 is 80 MB) while keeping small texts to one block.
_OVERLAP_BLOCK_ROWS = 1024
# Every code point for which str.isspace() holds is below U+3001 (U+3000 is the last one).
_WHITESPACE_LIMIT = 0x3001
_IS_WHITESPACE = np.array([chr(code).isspace() for code in range(_WHITESPACE_LIMIT)], dtype=bool)


class _Rates:
    """Precision, recall and F-beta from `tallies()`: (matched predictions, predictions, matched
    gold, gold). Nothing to find and nothing found is P = R = 1."""

    def tallies(self) -> tuple[int, int, int, int]:
        raise NotImplementedError

    @property
    def precision(self) -> float:
        pred_matched, pred, _, gold = self.tallies()
        return pred_matched / pred if pred else float(gold == 0)

    @property
    def recall(self) -> float:
        _, pred, gold_matched, gold = self.tallies()
        return gold_matched / gold if gold else float(pred == 0)

    def fbeta(self, beta: float = 1.0) -> float:
        """F-beta; beta > 1 weighs recall more (beta=5 for redaction). Both empty -> 1.0."""
        return _fbeta(self.precision, self.recall, beta)

    @property
    def f1(self) -> float:
        return self.fbeta(1.0)

    def rates(self) -> dict:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1, "f5": self.fbeta(5.0)}


@dataclass
class Counts(_Rates):
    """Matched and total spans, counted from both sides (they differ outside one-to-one matching)."""

    gold: int = 0  # gold spans (recall denominator)
    pred: int = 0  # predicted spans (precision denominator)
    gold_matched: int = 0  # gold spans found by some prediction (recall numerator)
    pred_matched: int = 0  # predictions that hit some gold span (precision numerator)

    def add(self, other: "Counts") -> None:
        self.gold += other.gold
        self.pred += other.pred
        self.gold_matched += other.gold_matched
        self.pred_matched += other.pred_matched

    def tallies(self) -> tuple[int, int, int, int]:
        return self.pred_matched, self.pred, self.gold_matched, self.gold

    def to_json(self) -> dict:
        return {**self.rates(), "gold": self.gold, "pred": self.pred,
                "gold_matched": self.gold_matched, "pred_matched": self.pred_matched}


@dataclass
class SpanScores:
    """Per-label `Counts` for one matching mode, with the micro total."""

    mode: str  # one of MODES
    per_label: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))  # label (or ANY) -> counts

    @property
    def total(self) -> Counts:
        total = Counts()
        for counts in self.per_label.values():
            total.add(counts)
        return total

    def add(self, other: "SpanScores") -> None:
        for label, counts in other.per_label.items():
            self.per_label[label].add(counts)


def match_spans(gold: Sequence[Span], pred: Sequence[Span], mode: str = "strict",
                ignored: Sequence[tuple[int, int]] = ()) -> SpanScores:
    """Score the predicted spans of one text against its gold spans.

    `strict` pairs equal spans. `overlap` and `detection` pair each gold span with at most one
    prediction and each prediction with at most one gold span: candidate pairs (sharing a
    character, and a label in `overlap`) are taken greedily by overlap length in characters,
    ties by gold then predicted position. So one span over three entities finds one of them
    (P = 1/1, R = 1/3) and an entity cut in three pieces is found once (R = 1/1, P = 1/3).

    `ignored` (sorted, disjoint (start, end) ranges without a gold label) only removes
    predictions: one that is paired with no gold span and overlaps an ignored range is neither
    a hit nor a false alarm. A paired prediction counts as usual, wherever it reaches.
    """
    if mode not in MODES:
        raise PiiTaggerError(f"unknown span matching mode {mode!r} (expected one of: {', '.join(MODES)})")
    ignored = check_ignored(ignored, gold)
    # Canonical order (by start, end, label) makes the tie-breaks independent of input order.
    gold, pred = sorted(gold), sorted(pred)
    if mode == "strict":
        # A repeated span is matched once, by its first copy on each side (one to one as well).
        exact = set(gold) & set(pred)
        gold_hit, pred_hit = _first_copies(gold, exact), _first_copies(pred, exact)
    else:
        gold_hit, pred_hit = _match_one_to_one(gold, pred, same_label=mode == "overlap")

    scores = SpanScores(mode)
    key = (lambda s: ANY) if mode == "detection" else (lambda s: s.label)
    for span, found in zip(gold, gold_hit):
        counts = scores.per_label[key(span)]
        counts.gold += 1
        counts.gold_matched += found
    for span, found in zip(pred, pred_hit):
        if not found and ignored and _overlaps_any(span, ignored):
            continue
        counts = scores.per_label[key(span)]
        counts.pred += 1
        counts.pred_matched += found
    return scores


def score_corpus(
    gold: Iterable[Sequence[Span]], pred: Iterable[Sequence[Span]], mode: str = "strict",
    ignored: Iterable[Sequence[tuple[int, int]]] | None = None,
) -> SpanScores:
    """Sum `match_spans` over texts (gold, pred and ignored regions aligned by position)."""
    gold, pred = list(gold), list(pred)
    if len(gold) != len(pred):
        raise PiiTaggerError(f"gold and pred have different numbers of texts: {len(gold)} and {len(pred)}")
    ignored = [()] * len(gold) if ignored is None else list(ignored)
    if len(ignored) != len(gold):
        raise PiiTaggerError(f"ignored has {len(ignored)} entries for {len(gold)} texts")
    total = SpanScores(mode)
    for gold_spans, pred_spans, ignored_ranges in zip(gold, pred, ignored):
        total.add(match_spans(gold_spans, pred_spans, mode, ignored_ranges))
    return total


def check_ignored(ignored: Sequence[tuple[int, int]], gold: Sequence[Span] = ()) -> list[tuple[int, int]]:
    """Ignore regions as a list of (start, end) ints: sorted, disjoint, disjoint from `gold`."""
    if isinstance(ignored, (str, bytes)) or not hasattr(ignored, "__iter__"):
        raise PiiTaggerError(f"ignored must be a sequence of (start, end) ranges, got {type(ignored).__name__}")
    ranges = []
    for region in ignored:
        try:
            start, end = (int(x) for x in region)
        except (TypeError, ValueError):
            raise PiiTaggerError(f"ignored holds {region!r}, expected a (start, end) range") from None
        if not 0 <= start < end:
            raise PiiTaggerError(f"ignored holds an empty or negative range {(start, end)}")
        if ranges and start < ranges[-1][1]:
            raise PiiTaggerError(f"ignored ranges must be sorted and disjoint: {ranges[-1]} then {(start, end)}")
        ranges.append((start, end))
    if ranges:
        for span in gold:
            if _overlaps_any(span, ranges):
                raise PiiTaggerError(f"gold span {tuple(span)} overlaps an ignored range: a character "
                                     "cannot be both labelled and unlabelled")
    return ranges


# --------------------------------------------------------------------------------------------
# Character level (label-blind redaction)
# --------------------------------------------------------------------------------------------


@dataclass
class CharCounts(_Rates):
    """Non-whitespace characters a redactor should hide (gold), hides (pred) and hides rightly (hit).

    Same empty-case conventions as `Counts`: nothing to hide and nothing hidden is P = R = 1.
    """

    gold_chars: int = 0  # non-whitespace characters inside gold spans (recall denominator)
    pred_chars: int = 0  # non-whitespace characters inside predicted spans (precision denominator)
    hit_chars: int = 0  # characters inside both (numerator of both)
    entities: int = 0  # gold entities with a character to hide (partial-leak denominator)
    partial: int = 0  # of those, partly hidden with some character still visible (a partial leak)
    missed: int = 0  # of those, not one character hidden

    def add(self, other: "CharCounts") -> None:
        self.gold_chars += other.gold_chars
        self.pred_chars += other.pred_chars
        self.hit_chars += other.hit_chars
        self.entities += other.entities
        self.partial += other.partial
        self.missed += other.missed

    def tallies(self) -> tuple[int, int, int, int]:
        return self.hit_chars, self.pred_chars, self.hit_chars, self.gold_chars

    @property
    def partial_leak_rate(self) -> float:
        """Gold entities partly hidden but still showing a character, as a share of gold entities."""
        return self.partial / self.entities if self.entities else 0.0

    def to_json(self) -> dict:
        return {**self.rates(), "partial_leak_rate": self.partial_leak_rate, "gold_chars": self.gold_chars,
                "pred_chars": self.pred_chars, "hit_chars": self.hit_chars, "entities": self.entities,
                "partial": self.partial, "missed": self.missed}


@dataclass
class LabelCharCounts:
    """For one gold label: its non-whitespace characters, and how many of them some prediction hides."""

    gold_chars: int = 0  # characters of gold spans of this label
    hit_chars: int = 0  # of those, characters inside a predicted span of any label
    entities: int = 0  # gold entities of this label with a character to hide
    partial: int = 0  # of those, partly hidden with some character still visible
    missed: int = 0  # of those, not one character hidden

    def add(self, other: "LabelCharCounts") -> None:
        self.gold_chars += other.gold_chars
        self.hit_chars += other.hit_chars
        self.entities += other.entities
        self.partial += other.partial
        self.missed += other.missed

    @property
    def recall(self) -> float:
        return self.hit_chars / self.gold_chars if self.gold_chars else 1.0

    @property
    def partial_leak_rate(self) -> float:
        return self.partial / self.entities if self.entities else 0.0

    @property
    def found_rate(self) -> float:
        """Entities with at least one character hidden, as a share of this label's entities."""
        return 1.0 - self.missed / self.entities if self.entities else 1.0

    def to_json(self) -> dict:
        return {"gold_chars": self.gold_chars, "hit_chars": self.hit_chars, "recall": self.recall,
                "entities": self.entities, "partial": self.partial, "missed": self.missed,
                "partial_leak_rate": self.partial_leak_rate, "found_rate": self.found_rate}


def char_counts(text: str, gold: Sequence[Span], pred: Sequence[Span],
                ignored: Sequence[tuple[int, int]] = ()) -> CharCounts:
    """Label-blind redaction counts of one text; characters inside `ignored` count on neither side."""
    return char_scores(text, gold, pred, ignored)[0]


def char_recall_per_label(text: str, gold: Sequence[Span], pred: Sequence[Span],
                          ignored: Sequence[tuple[int, int]] = ()) -> dict[str, LabelCharCounts]:
    """For each gold label of one text, its characters hidden by any prediction (sorted by label)."""
    return char_scores(text, gold, pred, ignored)[1]


def char_scores(text: str, gold: Sequence[Span], pred: Sequence[Span],
                ignored: Sequence[tuple[int, int]] = ()) -> tuple[CharCounts, dict[str, LabelCharCounts]]:
    """`char_counts` and `char_recall_per_label` of one text from one pass over its characters."""
    if not isinstance(text, str):
        raise PiiTaggerError(f"text must be a string, got {type(text).__name__}")
    ignored = check_ignored(ignored, gold)
    n = len(text)
    for side, spans in (("gold", gold), ("pred", pred), ("ignored", [Span(s, e, "") for s, e in ignored])):
        for span in spans:
            if span.end > n:
                raise PiiTaggerError(f"{side} range [{span.start}, {span.end}) is out of range for a text of "
                                     f"{n} characters")
    countable = countable_chars(text, ignored)  # [n]
    gold_mask, pred_mask = cover_mask(gold, n), cover_mask(pred, n)  # [n], [n]
    hidden = pred_mask & countable  # [n]
    # Prefix sums: the countable (and hidden) characters of [s, e) are cum[e] - cum[s].
    countable_before = np.concatenate(([0], np.cumsum(countable, dtype=np.int64)))  # [n + 1]
    hidden_before = np.concatenate(([0], np.cumsum(hidden, dtype=np.int64)))  # [n + 1]
    leaks = _entity_leaks(gold, countable_before, hidden_before)
    overall = CharCounts(
        gold_chars=int(np.count_nonzero(gold_mask & countable)),
        pred_chars=int(np.count_nonzero(hidden)),
        hit_chars=int(np.count_nonzero(gold_mask & hidden)),
        **leaks.pop(None),
    )
    by_label: dict[str, list[Span]] = defaultdict(list)
    for span in gold:
        by_label[span.label].append(span)
    per_label = {}
    for label in sorted(by_label):
        starts, ends = _union(by_label[label])  # a character of two spans of one label counts once
        per_label[label] = LabelCharCounts(
            gold_chars=int((countable_before[ends] - countable_before[starts]).sum()),
            hit_chars=int((hidden_before[ends] - hidden_before[starts]).sum()),
            **leaks[label],
        )
    return overall, per_label


def _entity_leaks(gold: Sequence[Span], countable_before: np.ndarray, hidden_before: np.ndarray) -> dict:
    """{label: {"entities", "partial", "missed"}} over gold entities, and the same for all under None.

    An entity counts when it has a character to hide (not all whitespace or ignored); it is a
    partial leak when some but not all of those characters are hidden, missed when none is.
    """
    tallies: dict = defaultdict(lambda: {"entities": 0, "partial": 0, "missed": 0})
    tallies[None]  # present even for a text without gold
    for span in gold:
        to_hide = int(countable_before[span.end] - countable_before[span.start])
        if to_hide == 0:
            continue
        hidden = int(hidden_before[span.end] - hidden_before[span.start])
        for key in (None, span.label):
            tallies[key]["entities"] += 1
            tallies[key]["partial"] += 0 < hidden < to_hide
            tallies[key]["missed"] += hidden == 0
    return tallies


def countable_chars(text: str, ignored: Sequence[tuple[int, int]] = ()) -> np.ndarray:
    """Boolean mask [n] of the characters a redaction score counts: not whitespace, not inside an
    ignored range (checked ranges: `check_ignored`)."""
    # UTF-32 gives one code unit per Python character, so mask index i is text[i].
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)  # [n]
    # Above U+3000 nothing is whitespace; below, a lookup table built from str.isspace.
    countable = ~_IS_WHITESPACE[np.minimum(codes, _WHITESPACE_LIMIT - 1)] | (codes >= _WHITESPACE_LIMIT)  # [n]
    if len(ignored):
        countable &= ~cover_mask(ignored, len(text))
    return countable


def cover_mask(ranges, n: int) -> np.ndarray:
    """Boolean mask [n] of the characters inside any of `ranges` ((start, end) pairs, may overlap)."""
    if not len(ranges):
        return np.zeros(n, dtype=bool)
    bounds = np.asarray([(r[0], r[1]) for r in ranges], dtype=np.int64)  # [R, 2]
    delta = np.zeros(n + 1, dtype=np.int64)  # +1 where a range opens, -1 where it closes
    np.add.at(delta, bounds[:, 0], 1)
    np.add.at(delta, bounds[:, 1], -1)
    return np.cumsum(delta[:n]) > 0


def _union(spans: Sequence[Span]) -> tuple[np.ndarray, np.ndarray]:
    """Sorted, merged (starts, ends) covering the same characters as `spans`."""
    merged: list[list[int]] = []
    for start, end, _ in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    bounds = np.asarray(merged, dtype=np.int64).reshape(-1, 2)
    return bounds[:, 0], bounds[:, 1]


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _fbeta(precision: float, recall: float, beta: float) -> float:
    if precision == 0.0 and recall == 0.0:
        return 0.0
    b2 = beta * beta
    return (1 + b2) * precision * recall / (b2 * precision + recall)


def _match_one_to_one(gold: Sequence[Span], pred: Sequence[Span], same_label: bool) -> tuple[list[bool], list[bool]]:
    """Greedy one-to-one pairing by overlap length, ties by (gold index, pred index).

    `gold` and `pred` come sorted by position, so index order is position order.
    """
    gold_hit, pred_hit = [False] * len(gold), [False] * len(pred)
    if not gold or not pred:
        return gold_hit, pred_hit
    pred_start = np.array([s.start for s in pred], dtype=np.int64)  # [P]
    pred_end = np.array([s.end for s in pred], dtype=np.int64)  # [P]
    if same_label:
        label_ids = {label: i for i, label in enumerate(sorted({s.label for s in itertools.chain(gold, pred)}))}
        pred_label = np.array([label_ids[s.label] for s in pred], dtype=np.int64)  # [P]
    rows, cols, lengths = [], [], []
    for first in range(0, len(gold), _OVERLAP_BLOCK_ROWS):
        block = gold[first:first + _OVERLAP_BLOCK_ROWS]
        gold_start = np.array([s.start for s in block], dtype=np.int64)[:, None]  # [B, 1]
        gold_end = np.array([s.end for s in block], dtype=np.int64)[:, None]  # [B, 1]
        shared = np.minimum(gold_end, pred_end) - np.maximum(gold_start, pred_start)  # [B, P]
        candidate = shared > 0  # [B, P]
        if same_label:
            gold_label = np.array([label_ids[s.label] for s in block], dtype=np.int64)[:, None]  # [B, 1]
            candidate &= gold_label == pred_label
        block_rows, block_cols = np.nonzero(candidate)
        rows.append(block_rows + first)
        cols.append(block_cols)
        lengths.append(shared[block_rows, block_cols])
    rows, cols, lengths = np.concatenate(rows), np.concatenate(cols), np.concatenate(lengths)
    # lexsort sorts by the last key first: longest overlap, then gold index, then pred index.
    for k in np.lexsort((cols, rows, -lengths)):
        g, p = rows[k], cols[k]
        if not gold_hit[g] and not pred_hit[p]:  # guard: one-to-one-matching
            gold_hit[g] = pred_hit[p] = True
    return gold_hit, pred_hit


def _first_copies(spans: Sequence[Span], wanted: set) -> list[bool]:
    seen: set = set()
    flags = []
    for span in spans:
        flags.append(span in wanted and span not in seen)
        seen.add(span)
    return flags


def _overlaps_any(span: Span, ranges: Sequence[tuple[int, int]]) -> bool:
    """Whether `span` shares a character with one of `ranges` (sorted and disjoint)."""
    # Ends of sorted disjoint ranges are sorted too: the first range ending after span.start
    # is the only candidate that can start before span.end.
    index = bisect.bisect_right(ranges, span.start, key=lambda r: r[1])
    return index < len(ranges) and ranges[index][0] < span.end
