"""From a head's per-token log-probabilities to scored character spans, one way for every caller.

Labels come from greedy or BIO Viterbi decoding (no `I-X` after `O` or another type) over words
(never a span boundary between two letters or digits), after the O bias; each span is cleaned
by `head.span_rules` and scored. fit-head's validation, `evaluate` and `predict` all call
`tag_block`, so what `evaluate` scores is what `predict` returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from extract.errors import NonFiniteError, PiiTaggerError
from extract.labels import LabelScheme, decode, same_word, trim_offsets
from extract.records import Span
from head.rules import PROVEN_LABELS, rule_spans
from head.span_rules import clean_spans

DECODERS = ("greedy", "viterbi")


def greedy(scores: np.ndarray) -> np.ndarray:
    """Argmax label per token. scores: [T, C] -> [T]."""
    return scores.argmax(axis=1)


def is_valid_bio(labels: Sequence[int], scheme: LabelScheme) -> bool:
    """No `I-X` at the start, after `O`, or after a label of another type."""
    if scheme.scheme != "bio":
        return True
    entity, begin = scheme.entity_of(), scheme.is_begin()
    previous = -1
    for label in labels:
        if entity[label] >= 0 and not begin[label] and entity[label] != previous:
            return False
        previous = entity[label]
    return True


def viterbi(log_probs: np.ndarray, ptr: np.ndarray, scheme: LabelScheme, chunk_bytes: int = 256 << 20) -> np.ndarray:
    """Best valid BIO label sequence of every example. log_probs: [T, C], ptr: [E+1] -> [T].

    With the io scheme every sequence is valid and this is the greedy argmax.
    """
    if scheme.scheme != "bio":
        return greedy(log_probs)
    # Per padded position: the scores (the head gives float32) and int16 back-pointers per label.
    chunk_tokens = max(1, chunk_bytes // ((log_probs.dtype.itemsize + 2) * log_probs.shape[1]))
    out = np.empty(len(log_probs), dtype=np.int64)
    lengths = np.diff(ptr)
    order = np.argsort(lengths, kind="stable")
    # Examples of similar length are decoded together; chunks bound the padded memory.
    start = 0
    while start < len(order):
        stop = start + 1
        while stop < len(order) and lengths[order[stop]] * (stop - start + 1) <= chunk_tokens:
            stop += 1
        _viterbi_chunk(log_probs, ptr, order[start:stop], scheme, out)
        start = stop
    return out


def _viterbi_chunk(log_probs: np.ndarray, ptr: np.ndarray, examples: np.ndarray, scheme: LabelScheme,
                   out: np.ndarray) -> None:
    n_types = len(scheme.entity_types)
    begin_ids = 1 + 2 * np.arange(n_types)  # B-X
    inside_ids = begin_ids + 1  # I-X
    lengths = (ptr[examples + 1] - ptr[examples]).astype(np.int64)
    width = int(lengths.max()) if len(lengths) else 0
    if width == 0:
        return
    n, c = len(examples), log_probs.shape[1]
    padded = np.zeros((n, width, c), dtype=log_probs.dtype)  # [E, T, C]
    for row, e in enumerate(examples):
        padded[row, :lengths[row]] = log_probs[ptr[e]:ptr[e + 1]]
    padded[:, 0, inside_ids] = -np.inf  # guard: viterbi-start (no entity starts inside)
    score = padded[:, 0].astype(np.float64)  # [E, C], summed in float64
    back = np.zeros((n, width, c), dtype=np.int16)  # [E, T, C]
    rows = np.arange(n)
    for t in range(1, width):
        best_any = score.argmax(axis=1)  # [E]: any label may precede O and B-X
        best_any_score = score[rows, best_any]
        from_begin = score[:, begin_ids] >= score[:, inside_ids]  # [E, X]: I-X follows B-X or I-X
        best_inside_prev = np.where(from_begin, begin_ids, inside_ids)  # [E, X]
        best_inside_score = np.maximum(score[:, begin_ids], score[:, inside_ids])
        new = padded[:, t] + best_any_score[:, None]
        new[:, inside_ids] = padded[:, t, inside_ids] + best_inside_score
        back[:, t] = best_any[:, None]
        back[:, t, inside_ids] = best_inside_prev
        active = t < lengths  # finished examples keep their score
        score = np.where(active[:, None], new, score)
    # Backtrack all examples at once; each starts from its own last position.
    paths = np.zeros((n, width), dtype=np.int64)  # [E, T]
    final = score.argmax(axis=1)  # [E]
    current = np.zeros(n, dtype=np.int64)
    for t in range(width - 1, -1, -1):
        following = back[rows, t + 1, current] if t + 1 < width else current
        current = np.where(lengths - 1 == t, final, following)
        paths[:, t] = current
    for row, e in enumerate(examples):
        out[ptr[e]:ptr[e + 1]] = paths[row, :lengths[row]]


def decode_labels(log_probs: np.ndarray, ptr: np.ndarray, scheme: LabelScheme, method: str = "greedy") -> np.ndarray:
    """Token label ids for every example with `method` ("greedy" or "viterbi")."""
    if method not in DECODERS:
        raise PiiTaggerError(f"`decode`: unknown value {method!r} (expected one of: {', '.join(DECODERS)})")
    return greedy(log_probs) if method == "greedy" else viterbi(log_probs, ptr, scheme)


def labels_to_spans(texts: Sequence[str], offsets: np.ndarray, ptr: np.ndarray, labels: np.ndarray,
                    scheme: LabelScheme) -> list[list[Span]]:
    """Character spans of every example from its token labels."""
    return [decode(text, offsets[ptr[e]:ptr[e + 1]], labels[ptr[e]:ptr[e + 1]], scheme)
            for e, text in enumerate(texts)]


# How sub-token scores make a word's: "token" decodes tokens as they are (spans may cut words),
# "first" takes the first sub-token's scores, "mean"/"max" pool each type's probability over
# the word's sub-tokens and keep the first sub-token's begin/inside split.
AGGREGATIONS = ("token", "first", "mean", "max")


@dataclass(frozen=True)
class ScoredSpan:
    """A predicted span with its score: the mean probability of the labels chosen for its tokens."""

    start: int
    end: int
    label: str
    score: float

    @property
    def span(self) -> Span:
        return Span(self.start, self.end, self.label)


@dataclass
class BlockTagging:
    """A block of examples tagged: token labels, their log-probabilities and scored spans."""

    labels: np.ndarray  # int64 [T], label ids in the head's scheme (word-consistent)
    log_probs: np.ndarray  # float32 [T, C]
    spans: list[list[ScoredSpan]]  # per example, in text order, every span (no threshold)

    def kept(self, threshold: float) -> list[list[Span]]:
        """The spans a user gets at `threshold`: those whose score reaches it."""
        return [[s.span for s in spans if s.score >= threshold] for spans in self.spans]


def word_units(texts: Sequence[str], offsets: np.ndarray, ptr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group tokens into words: a token joins the previous one when no boundary can fall between them.

    That is when the previous token ends exactly where this one starts and the characters on
    both sides are letters or digits (`extract.labels.same_word`): "Orthop|ed|ics", "20|17",
    "Q|1" and "zł|58" are one word each, "jean.dupont" three. Returns (unit index of each token
    [T], unit pointer [E+1]).
    """
    joins = np.zeros(len(offsets), dtype=bool)  # [T]: token t continues the word of token t-1
    unit_counts = np.zeros(len(ptr) - 1, dtype=np.int64)
    for e, text in enumerate(texts):
        rows = slice(int(ptr[e]), int(ptr[e + 1]))
        trimmed = trim_offsets(text, offsets[rows])  # [n, 2]
        n = len(trimmed)
        if n == 0:
            continue
        start, previous_end = trimmed[1:, 0], trimmed[:-1, 1]
        touching = (start == previous_end) & (trimmed[1:, 0] < trimmed[1:, 1]) & (trimmed[:-1, 0] < trimmed[:-1, 1])
        candidates = np.flatnonzero(touching)
        inside = np.array([same_word(text[start[i] - 1], text[start[i]]) for i in candidates], dtype=bool)
        block = np.zeros(n, dtype=bool)
        block[candidates[inside] + 1] = True
        joins[rows] = block
        unit_counts[e] = n - int(block.sum())
    unit_of_token = np.cumsum(~joins) - 1  # [T]
    unit_ptr = np.zeros(len(ptr), dtype=np.int64)
    np.cumsum(unit_counts, out=unit_ptr[1:])
    return unit_of_token, unit_ptr


def unit_log_probs(log_probs: np.ndarray, unit_of_token: np.ndarray, n_units: int, scheme: LabelScheme,
                   how: str) -> np.ndarray:
    """Each word's label scores [U, C] from its tokens' log-probabilities [T, C] (see AGGREGATIONS)."""
    first = np.flatnonzero(np.r_[True, unit_of_token[1:] != unit_of_token[:-1]])  # [U]: first token of each unit
    if how == "first":
        return log_probs[first]
    entity = scheme.entity_of()  # [C]: type of each label, -1 for O
    n_types = len(scheme.entity_types)
    probs = np.exp(log_probs.astype(np.float64))  # [T, C]
    type_probs = np.zeros((len(log_probs), n_types + 1))  # [T, 1 + X]: O, then each type's mass
    np.add.at(type_probs.T, entity + 1, probs.T)
    type_logs = np.log(np.maximum(type_probs, 1e-300))
    # A word's tokens are contiguous rows: reduce each run from its first token.
    if how == "mean":
        pooled = np.add.reduceat(type_logs, first, axis=0) / np.diff(np.r_[first, len(log_probs)])[:, None]  # [U, 1 + X]
    elif how == "max":
        pooled = np.maximum.reduceat(type_logs, first, axis=0)  # [U, 1 + X]
    else:
        raise PiiTaggerError(f"unknown word aggregation {how!r} (expected one of: {', '.join(AGGREGATIONS)})")
    # Begin vs inside comes from the first sub-token, where a word's boundary is decided.
    within_type = log_probs[first].astype(np.float64) - type_logs[first][:, entity + 1]  # [U, C]
    return (pooled[:, entity + 1] + within_type).astype(np.float32)


def expand_unit_labels(unit_labels: np.ndarray, unit_of_token: np.ndarray, scheme: LabelScheme) -> np.ndarray:
    """Word labels back onto tokens: a word's first token takes its label, the others continue it."""
    labels = unit_labels[unit_of_token].copy()  # [T]
    continuing = np.r_[False, unit_of_token[1:] == unit_of_token[:-1]]
    if scheme.scheme == "bio":
        begins = continuing & scheme.is_begin()[labels]
        labels[begins] += 1  # B-X -> I-X, ids are adjacent
    return labels


def span_scores(text: str, offsets: np.ndarray, chosen: np.ndarray, spans: Sequence[Span]) -> np.ndarray:
    """Mean of `chosen` [T] (the probability of each token's label) over each span's tokens.

    Linear in the text's length: spans and tokens are both in text order.
    """
    if not spans:
        return np.zeros(0)
    trimmed = trim_offsets(text, offsets)  # [T, 2]
    starts = np.array([s.start for s in spans])
    ends = np.array([s.end for s in spans])
    # Tokens overlapping [start, end): from the first whose end passes start to the last starting before end.
    first = np.searchsorted(np.maximum.accumulate(trimmed[:, 1]), starts, side="right")
    stop = np.searchsorted(np.maximum.accumulate(trimmed[:, 0]), ends, side="left")
    totals = np.concatenate([[0.0], np.cumsum(chosen, dtype=np.float64)])
    return (totals[stop] - totals[first]) / np.maximum(stop - first, 1)


def _scored_part(cleaned: Span, decoded: Span) -> Span:
    start, end = max(cleaned.start, decoded.start), min(cleaned.end, decoded.end)
    return Span(start, end, cleaned.label) if start < end else decoded


RULE_SCORE = 1.0  # a span a validator found or widened: a checksum or a strict shape, kept at any threshold


def merge_rule_spans(spans: Sequence[ScoredSpan], found: Sequence[Span]) -> list[ScoredSpan]:
    """The head's spans with the rule layer's (`head.rules`): a validated match adds a span, or widens
    the spans it overlaps into one that covers them all, with the label of the longest, or the
    match's own where its form is proven (`PROVEN_LABELS`) and it is most of the span; none is deleted."""
    merged = sorted(spans, key=lambda s: (s.start, s.end))
    for match in found:
        touching = [s for s in merged if s.start < match.end and match.start < s.end]
        merged = [s for s in merged if s not in touching]
        start = min([match.start, *(s.start for s in touching)])
        end = max([match.end, *(s.end for s in touching)])
        label = match.label
        proven = match.label in PROVEN_LABELS and 2 * (match.end - match.start) > end - start  # guard: proven-label
        if touching and not proven:
            label = max(touching, key=lambda s: (s.end - s.start, -s.start)).label
        merged.append(ScoredSpan(start, end, label, RULE_SCORE))
        merged.sort(key=lambda s: (s.start, s.end))
    return merged


def _biased(scores: np.ndarray, outside_bias: float) -> np.ndarray:
    """Scores [N, C] with `outside_bias` taken from the O column (label 0)."""
    if not outside_bias:
        return scores
    shifted = scores.copy()
    shifted[:, 0] -= outside_bias
    return shifted


def tag_block(log_probs: np.ndarray, ptr: np.ndarray, texts: Sequence[str], offsets: np.ndarray,
              scheme: LabelScheme, decode_method: str = "viterbi", aggregate: str = "first",
              outside_bias: float = 0.0, rules: bool = False) -> BlockTagging:
    """Labels, scored spans and word-consistent token labels for a block of examples.

    log_probs: [T, C] for the tokens of all examples; ptr: [E+1]; offsets: raw [T, 2].
    `outside_bias` is subtracted from the O label's log-probability before decoding: above 0 the
    decoder opens entities it was less sure of (recall for precision); span scores stay the
    head's own probabilities. With `rules`, validated matches (`head.rules`) add or widen spans.
    """
    if aggregate not in AGGREGATIONS:
        raise PiiTaggerError(f"unknown word aggregation {aggregate!r} (expected one of: {', '.join(AGGREGATIONS)})")
    if not np.isfinite(log_probs).all():
        # Fail closed: a broken head or broken features must never read as "no PII found".
        raise NonFiniteError("the head produced non-finite scores (NaN or inf); refusing to tag")
    if aggregate == "token":
        labels = decode_labels(_biased(log_probs, outside_bias), ptr, scheme, decode_method)  # [T]
    else:
        unit_of_token, unit_ptr = word_units(texts, offsets, ptr)
        units = unit_log_probs(log_probs, unit_of_token, int(unit_ptr[-1]), scheme, aggregate)  # [U, C]
        labels = expand_unit_labels(decode_labels(_biased(units, outside_bias), unit_ptr, scheme, decode_method),
                                    unit_of_token, scheme)
    chosen = np.exp(log_probs[np.arange(len(labels)), labels].astype(np.float64))  # [T]
    spans = []
    for e, text in enumerate(texts):
        rows = slice(int(ptr[e]), int(ptr[e + 1]))
        pairs = clean_spans(text, decode(text, offsets[rows], labels[rows], scheme))
        found = [cleaned for cleaned, _ in pairs]
        # Scored over the tokens the head labelled: a widened span's extra tokens carry p(O).
        decoded = [_scored_part(c, d) for c, d in pairs]  # guard: widened-spans-scored-as-decoded
        scores = span_scores(text, offsets[rows], chosen[rows], decoded)
        scored = [ScoredSpan(s.start, s.end, s.label, float(score)) for s, score in zip(found, scores)]
        scored = merge_rule_spans(scored, rule_spans(text)) if rules else scored  # guard: rule-layer
        spans.append(scored)
    return BlockTagging(labels, log_probs, spans)
