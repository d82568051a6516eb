"""From per-token scores to label sequences and character spans: greedy or BIO Viterbi.

Viterbi forbids `I-X` after `O` or after another type, so every output is a valid BIO
sequence; it is computed for many texts at once in O(T x C) per text.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from extract.errors import PiiTaggerError
from extract.labels import LabelScheme, decode
from extract.records import Span

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
    padded[:, 0, inside_ids] = -np.inf  # no entity starts inside
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
        raise PiiTaggerError(f"--decode: unknown value {method!r} (expected one of: {', '.join(DECODERS)})")
    return greedy(log_probs) if method == "greedy" else viterbi(log_probs, ptr, scheme)


def labels_to_spans(texts: Sequence[str], offsets: np.ndarray, ptr: np.ndarray, labels: np.ndarray,
                    scheme: LabelScheme) -> list[list[Span]]:
    """Character spans of every example from its token labels."""
    return [decode(text, offsets[ptr[e]:ptr[e + 1]], labels[ptr[e]:ptr[e + 1]], scheme)
            for e, text in enumerate(texts)]
