"""From a head's per-token log-probabilities to scored character spans, one way for every caller.

Decoding runs over words (never a span boundary between two letters or digits), each span gets
a score, and spans under the head's threshold are dropped: fit-head's validation, `evaluate` and
`predict` all call `tag_block`, so what `evaluate` scores is what `predict` returns.
"""

from __future__ import annotations

import re

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from extract.errors import NonFiniteError, PiiTaggerError
from extract.labels import LabelScheme, decode, same_word, trim_offsets
from extract.records import Span
from head.decoding import decode_labels

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


# Punctuation a token may carry that never ends (or opens) an entity: "Consultant," is one
# token to some tokenizers. A bracket or quote is kept when the span holds its partner: "(555)".
_TRAILING = {",": None, ";": None, ":": None, "!": None, "?": None, ")": "(", "]": "[", "»": "«", "”": "“", '"': '"'}
_LEADING = {"(": ")", "[": "]", "«": "»", "“": "”", '"': '"'}
_QUOTES = {('"', '"'), ("“", "”"), ("«", "»"), ("'", "'")}
# Types whose values may end in punctuation of their own: "P@ssw0rd!", "fe80::", "user_:".
_OWN_PUNCTUATION = frozenset({"PASSWORD", "IPV6", "URL", "USERNAME"})
# Types whose values never end in a full stop, though dots run through them ("10.0.0.1",
# "x.example.biz", "12.03.2021"): a final "." is the sentence's. DATE only after a figure ("3 Jan." keeps it).
_NO_FINAL_STOP = frozenset({"IPV4", "IPV6", "URL", "EMAIL", "PHONENUMBER", "IBAN", "BIC", "CREDITCARDNUMBER",
                            "ACCOUNTNUMBER", "SSN", "ZIPCODE", "AMOUNT", "BUILDINGNUMBER", "AGE"})


# Types written without spaces, in a few characters: a span that stops inside such a run stops inside
# the value ("34.70." of "34.70.62.39"), so it is widened to the whole run.
_WHOLE_RUN = {"IPV4": re.compile(r"[0-9.]"), "EMAIL": re.compile(r"[A-Za-z0-9._%+@-]")}


def _whole_run(text: str, span: Span, low: int, high: int) -> tuple[int, int]:
    """`span`'s bounds widened to the run of its type's characters around it, within [low, high)."""
    start, end = span.start, span.end
    allowed = _WHOLE_RUN.get(span.label)
    if allowed is None:
        return start, end
    while start > low and allowed.match(text[start - 1]):
        start -= 1
    while end < high and allowed.match(text[end]):
        end += 1
    while start < end - 1 and text[start] == ".":  # neither an address nor an e-mail starts with a dot
        start += 1
    return start, end


def _is_final_stop(text: str, start: int, end: int, label: str) -> bool:
    return (end - start > 1 and text[end - 1] == "."
            and (label in _NO_FINAL_STOP or (label == "DATE" and text[end - 2].isdigit())))


def clean_spans(text: str, spans: Sequence[Span]) -> list[tuple[Span, Span]]:
    """(cleaned span, the decoded span it came from) for each span `trim_punctuation` keeps."""
    kept: list[tuple[Span, Span]] = []
    for i, span in enumerate(spans):
        low = kept[-1][0].end if kept else 0
        high = spans[i + 1].start if i + 1 < len(spans) else len(text)
        start, end = _whole_run(text, span, low, high)
        own = span.label in _OWN_PUNCTUATION
        while start < end:
            last = text[end - 1]
            if _is_final_stop(text, start, end, span.label):
                end -= 1
                continue
            if own:
                break
            if last.isspace() or (last in _TRAILING and (_TRAILING[last] is None
                                                         or text.count(_TRAILING[last], start, end - 1) == 0)):
                end -= 1
                continue
            first = text[start]
            if first.isspace() or (first in _LEADING and text.count(_LEADING[first], start + 1, end) == 0):
                start += 1
                continue
            if (end - start >= 2 and (first, last) in _QUOTES  # a quoted name: the quotes are not the name
                    and text.count(first, start + 1, end - 1) == 0 and text.count(last, start + 1, end - 1) == 0):
                start, end = start + 1, end - 1
                continue
            break
        if start < end:
            kept.append((Span(start, end, span.label), span))
    return kept


def trim_punctuation(text: str, spans: Sequence[Span]) -> list[Span]:
    """Spans without unpaired punctuation (and the spaces it leaves) at either end; empty ones dropped.

    Spans of types whose values may end in punctuation (`_OWN_PUNCTUATION`) keep theirs, but for
    a final full stop where the type never ends in one (`_NO_FINAL_STOP`). A span of an address
    type written without spaces is first widened to its whole run (`_WHOLE_RUN`).
    """
    return [cleaned for cleaned, _ in clean_spans(text, spans)]


def _scored_part(cleaned: Span, decoded: Span) -> Span:
    start, end = max(cleaned.start, decoded.start), min(cleaned.end, decoded.end)
    return Span(start, end, cleaned.label) if start < end else decoded


def _biased(scores: np.ndarray, outside_bias: float) -> np.ndarray:
    """Scores [N, C] with `outside_bias` taken from the O column (label 0)."""
    if not outside_bias:
        return scores
    shifted = scores.copy()
    shifted[:, 0] -= outside_bias
    return shifted


def tag_block(log_probs: np.ndarray, ptr: np.ndarray, texts: Sequence[str], offsets: np.ndarray,
              scheme: LabelScheme, decode_method: str = "viterbi", aggregate: str = "first",
              outside_bias: float = 0.0) -> BlockTagging:
    """Labels, scored spans and word-consistent token labels for a block of examples.

    log_probs: [T, C] for the tokens of all examples; ptr: [E+1]; offsets: raw [T, 2].
    `outside_bias` is subtracted from the O label's log-probability before decoding: above 0 the
    decoder opens entities it was less sure of (recall for precision); span scores stay the
    head's own probabilities.
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
        scores = span_scores(text, offsets[rows], chosen[rows], [_scored_part(c, d) for c, d in pairs])
        spans.append([ScoredSpan(s.start, s.end, s.label, float(score)) for s, score in zip(found, scores)])
    return BlockTagging(labels, log_probs, spans)
