"""Evaluation numbers for a tagger, the pure layer of `cli.py evaluate` (and of training's validation).

Token scores from one confusion matrix, entity and character-level redaction scores, confused
labels, errors with context.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Sequence

import numpy as np

from extract.errors import PiiTaggerError
from evaluation.spans import (  # noqa: F401  (char_counts and char_recall_per_label are re-exported)
    MODES,
    CharCounts,
    LabelCharCounts,
    SpanScores,
    char_counts,
    char_recall_per_label,
    char_scores,
    score_corpus,
)
# IGNORE_LABEL (-1): gold id of a token without a label (an ignore region), left out of every
# token metric; re-exported here for callers of the metrics.
from extract.labels import IGNORE_LABEL, LabelScheme  # noqa: F401
from extract.records import Span

AVERAGES = ("micro", "macro", "weighted")
# Bounds on what one error example carries, so a long address or a base64 blob stays readable.
MAX_CONTEXT_SIDE_CHARS = 80
ENTITY_MARK_OPEN, ENTITY_MARK_CLOSE = "⟦", "⟧"
NEWLINE_MARK = "⏎"


# --------------------------------------------------------------------------------------------
# Token level
# --------------------------------------------------------------------------------------------


def token_metrics(y_true, y_pred, labels: Sequence[str]) -> dict:
    """Token classification scores of `y_pred` against `y_true` (label ids indexing `labels`).

    Equal to scikit-learn with `zero_division=0`: averages and per-class rows cover the labels
    that occur in `y_true` or `y_pred`; "without O" passes the non-O ones among them. The full
    `len(labels)`-square confusion matrix (rows = gold) comes back too. Positions whose gold id
    is `IGNORE_LABEL` (-1, a token without a gold label) are dropped first, whatever was
    predicted there; `tokens` counts the others. Returns::

        {"labels": [...], "tokens": n, "accuracy": a,
         "with_o": {"micro": {"precision", "recall", "f1"}, "macro": {...}, "weighted": {...}},
         "without_o": {... same ...},
         "per_class": {label: {"precision", "recall", "f1", "support"}},  # label-id order
         "confusion_matrix": [[int, ...], ...]}
    """
    labels = _check_labels(labels)
    y_true, y_pred = _check_label_ids(y_true, y_pred, len(labels))
    matrix = _confusion(y_true, y_pred, len(labels))
    return metrics_from_confusion(matrix, labels)


def metrics_from_confusion(matrix, labels: Sequence[str]) -> dict:
    """`token_metrics` from an already counted confusion matrix (rows = gold, columns = predicted)."""
    labels = _check_labels(labels)
    matrix = np.asarray(matrix)
    if matrix.shape != (len(labels), len(labels)):
        raise PiiTaggerError(f"confusion matrix has shape {matrix.shape}, expected {(len(labels), len(labels))}")
    matrix = matrix.astype(np.int64, copy=False)
    true_count = matrix.sum(axis=1)
    pred_count = matrix.sum(axis=0)
    correct = np.diag(matrix)
    present = np.flatnonzero((true_count + pred_count) > 0)
    present_without_o = present[present != 0]
    total = int(matrix.sum())

    precision = _divide(correct, pred_count)
    recall = _divide(correct, true_count)
    # 2tp / (2tp + fp + fn), the form scikit-learn uses: 0 (not NaN) when a label never occurs.
    f1 = _divide(2 * correct, true_count + pred_count)

    return {
        "labels": list(labels),
        "tokens": total,
        "accuracy": float(correct.sum() / total) if total else 0.0,
        "with_o": _averages(present, correct, true_count, pred_count, precision, recall, f1),
        "without_o": _averages(present_without_o, correct, true_count, pred_count, precision, recall, f1),
        "per_class": {
            labels[i]: {
                "precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
                "support": int(true_count[i]),
            }
            for i in present
        },
        "confusion_matrix": matrix.tolist(),
    }


def type_confusion(y_true, y_pred, scheme: LabelScheme) -> tuple[np.ndarray, list[str]]:
    """Token confusion with B-X and I-X merged into X: (int64 matrix, ["O", *entity types]).

    Rows are gold. Shows which entity types the head mixes up, whatever the boundary labels.
    Positions whose gold id is `IGNORE_LABEL` are dropped, as in `token_metrics`.
    """
    if not isinstance(scheme, LabelScheme):
        raise PiiTaggerError(f"scheme must be a LabelScheme, got {type(scheme).__name__}")
    y_true, y_pred = _check_label_ids(y_true, y_pred, len(scheme.labels))
    # entity_of is -1 for O: shifting by one makes O row/column 0 and type k row/column k+1.
    type_of_label = scheme.entity_of() + 1
    names = ["O", *scheme.entity_types]
    matrix = _confusion(type_of_label[y_true], type_of_label[y_pred], len(names))
    return matrix, names


def _check_labels(labels: Sequence[str]) -> list[str]:
    if isinstance(labels, str):
        raise PiiTaggerError("labels must be a sequence of label names, not one string")
    labels = [str(label) for label in labels]
    if not labels:
        raise PiiTaggerError("labels is empty: expected at least the 'O' label")
    if labels[0] != "O":
        raise PiiTaggerError(f"labels[0] must be 'O' (the outside label), got {labels[0]!r}")
    if len(set(labels)) != len(labels):
        duplicated = sorted(label for label, n in Counter(labels).items() if n > 1)
        raise PiiTaggerError(f"labels contains duplicates: {', '.join(duplicated)}")
    return labels


def _check_label_ids(y_true, y_pred, n_labels: int) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    for name, array in (("y_true", y_true), ("y_pred", y_pred)):
        if array.ndim != 1:
            raise PiiTaggerError(f"{name} must be one-dimensional, got shape {array.shape}")
        if array.size and not np.issubdtype(array.dtype, np.integer):
            raise PiiTaggerError(f"{name} must hold integer label ids, got dtype {array.dtype}")
    if len(y_true) != len(y_pred):
        raise PiiTaggerError(f"y_true and y_pred have different lengths: {len(y_true)} and {len(y_pred)}")
    # int64 before any arithmetic: encoded labels are int16 and true * n + pred would overflow.
    y_true, y_pred = y_true.astype(np.int64, copy=False), y_pred.astype(np.int64, copy=False)
    labelled = y_true != IGNORE_LABEL  # tokens of ignore regions carry no gold label
    for name, array in (("y_true", y_true[labelled]), ("y_pred", y_pred)):
        if array.size and (array.min() < 0 or array.max() >= n_labels):
            bad = array[(array < 0) | (array >= n_labels)][0]
            raise PiiTaggerError(
                f"{name} holds label id {bad}, outside 0..{n_labels - 1} "
                f"(padding such as -100 must be removed before scoring; {IGNORE_LABEL} in y_true means "
                "no gold label)"
            )
    # A token without a gold label is neither right nor wrong, whatever was predicted there.
    if not labelled.all():
        y_true, y_pred = y_true[labelled], y_pred[labelled]
    return y_true, y_pred


def _confusion(y_true: np.ndarray, y_pred: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(y_true * n + y_pred, minlength=n * n).reshape(n, n).astype(np.int64)


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Element-wise division that gives 0 where the denominator is 0 (zero_division=0)."""
    out = np.zeros(len(numerator), dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def _averages(selected, correct, true_count, pred_count, precision, recall, f1) -> dict:
    if len(selected) == 0:
        zero = {"precision": 0.0, "recall": 0.0, "f1": 0.0}
        return {average: dict(zero) for average in AVERAGES}
    tp, n_true, n_pred = correct[selected].sum(), true_count[selected].sum(), pred_count[selected].sum()
    support = true_count[selected]
    # scikit-learn falls back to the plain mean when every selected label has zero support.
    weights = support if support.sum() > 0 else None
    return {
        "micro": {
            "precision": float(tp / n_pred) if n_pred else 0.0,
            "recall": float(tp / n_true) if n_true else 0.0,
            "f1": float(2 * tp / (n_true + n_pred)) if n_true + n_pred else 0.0,
        },
        "macro": {
            "precision": float(precision[selected].mean()),
            "recall": float(recall[selected].mean()),
            "f1": float(f1[selected].mean()),
        },
        "weighted": {
            "precision": float(np.average(precision[selected], weights=weights)),
            "recall": float(np.average(recall[selected], weights=weights)),
            "f1": float(np.average(f1[selected], weights=weights)),
        },
    }


# --------------------------------------------------------------------------------------------
# Entity level
# --------------------------------------------------------------------------------------------


def entity_metrics(gold: list[list[Span]], pred: list[list[Span]], languages: list[str],
                   texts: list[str] | None = None, ignored: list | None = None) -> dict:
    """Span scores in the three matching modes and, given `texts`, character-level redaction scores.

    Span entries are `Counts.to_json()` (precision, recall, f1, f5, gold, pred, gold_matched,
    pred_matched); `overlap` and `detection` match one to one (see `evaluation.spans.match_spans`).
    `ignored` holds, per text, sorted (start, end) ranges without a gold label: a prediction
    there that matches no gold span counts nowhere, and their characters count on neither side.
    Keys are sorted. Returns::

        {"strict":    {"overall", "per_class": {label}, "per_language": {lang},
                       "per_language_class": {lang: {label}}},
         "overlap":   {"overall", "per_class", "per_language"},
         "detection": {"overall", "per_language"},
         # only with texts: label-blind, over non-whitespace characters
         "char":      {"overall": CharCounts json, "per_language": {lang: CharCounts json},
                       "per_label": {gold label: {"gold_chars", "hit_chars", "recall"}}}}
    """
    gold, pred = _check_span_lists(gold, pred)
    if len(languages) != len(gold):
        raise PiiTaggerError(f"languages has {len(languages)} entries for {len(gold)} texts")
    if ignored is None:
        ignored = [()] * len(gold)
    elif len(ignored) != len(gold):
        raise PiiTaggerError(f"ignored has {len(ignored)} entries for {len(gold)} texts")
    if texts is not None and len(texts) != len(gold):
        raise PiiTaggerError(f"texts has {len(texts)} entries for {len(gold)} span lists")
    by_language: dict[str, list[int]] = {}
    for index, language in enumerate(languages):
        if not isinstance(language, str) or not language:
            raise PiiTaggerError(f"languages[{index}] is {language!r}, expected a language code such as 'en'")
        by_language.setdefault(language, []).append(index)

    result: dict[str, dict] = {}
    for mode in MODES:
        overall = score_corpus(gold, pred, mode, ignored)
        per_language = {
            language: score_corpus([gold[i] for i in indices], [pred[i] for i in indices], mode,
                                   [ignored[i] for i in indices])
            for language, indices in sorted(by_language.items())
        }
        entry = {
            "overall": overall.total.to_json(),
            "per_language": {language: scores.total.to_json() for language, scores in per_language.items()},
        }
        if mode != "detection":  # detection has one label-blind class: per class is the overall
            entry["per_class"] = _per_label_json(overall)
        if mode == "strict":
            entry["per_language_class"] = {
                language: _per_label_json(scores) for language, scores in per_language.items()
            }
        result[mode] = {key: entry[key] for key in ("overall", "per_class", "per_language",
                                                    "per_language_class") if key in entry}
    if texts is not None:
        result["char"] = _char_metrics(texts, gold, pred, languages, ignored)
    return result


def _char_metrics(texts, gold, pred, languages, ignored) -> dict:
    overall = CharCounts()
    per_language: dict[str, CharCounts] = {}
    per_label: dict[str, LabelCharCounts] = {}
    for index, (text, gold_spans, pred_spans, ranges) in enumerate(zip(texts, gold, pred, ignored)):
        if not isinstance(text, str):
            raise PiiTaggerError(f"texts[{index}] is {type(text).__name__}, expected a string")
        try:
            counts, by_label = char_scores(text, gold_spans, pred_spans, ranges)
        except PiiTaggerError as error:
            raise PiiTaggerError(f"text {index}: {error}") from None
        overall.add(counts)
        per_language.setdefault(languages[index], CharCounts()).add(counts)
        for label, label_counts in by_label.items():
            per_label.setdefault(label, LabelCharCounts()).add(label_counts)
    return {
        "overall": overall.to_json(),
        "per_language": {language: per_language[language].to_json() for language in sorted(per_language)},
        "per_label": {label: per_label[label].to_json() for label in sorted(per_label)},
    }


def confused_pairs(gold: list[list[Span]], pred: list[list[Span]], top: int | None = 10) -> list[dict]:
    """The most frequent (gold label -> predicted label) confusions, most frequent first.

    One count per (gold span, predicted span) pair that share a character but not the label.
    Returns `[{"gold": label, "pred": label, "count": n}, ...]`, at most `top` (None: all).
    """
    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 0):
        raise PiiTaggerError(f"top must be a non-negative integer or None, got {top!r}")
    gold, pred = _check_span_lists(gold, pred)
    pairs: Counter = Counter()
    for gold_spans, pred_spans in zip(gold, pred):
        for predicted in pred_spans:
            for truth in gold_spans:
                if truth.label != predicted.label and _overlaps(truth, predicted):
                    pairs[(truth.label, predicted.label)] += 1
    ranked = sorted(pairs.items(), key=lambda item: (-item[1], item[0]))
    if top is not None:
        ranked = ranked[:top]
    return [{"gold": g, "pred": p, "count": n} for (g, p), n in ranked]


def error_examples(
    texts: list[str],
    gold: list[list[Span]],
    pred: list[list[Span]],
    ids: list[str],
    *,
    per_class: int = 3,
    context_words: int = 5,
) -> dict:
    """Missed gold entities and spurious predictions (no strict match), a few per class.

    The sample is the first `per_class` in corpus order. Returns, with labels sorted::

        {label: {"missed_total": n, "spurious_total": n,
                 "missed": [example, ...], "spurious": [example, ...]}}

    where an example is `{"id", "label", "start", "end", "text", "context", "overlapping"}`;
    `overlapping` lists `{"label", "text"}` of the other side's spans that share a character
    with it (the predictions made there for a missed entity, the gold entities under a spurious
    prediction), and `context` shows `context_words` words either side with the entity marked.
    """
    if isinstance(per_class, bool) or not isinstance(per_class, int) or per_class < 0:
        raise PiiTaggerError(f"per_class must be a non-negative integer, got {per_class!r}")
    if isinstance(context_words, bool) or not isinstance(context_words, int) or context_words < 0:
        raise PiiTaggerError(f"context_words must be a non-negative integer, got {context_words!r}")
    gold, pred = _check_span_lists(gold, pred)
    if len(texts) != len(gold):
        raise PiiTaggerError(f"texts has {len(texts)} entries for {len(gold)} span lists")
    if len(ids) != len(gold):
        raise PiiTaggerError(f"ids has {len(ids)} entries for {len(gold)} span lists")

    errors: dict[str, dict] = {}

    def slot(label: str) -> dict:
        return errors.setdefault(label, {"missed_total": 0, "spurious_total": 0, "missed": [], "spurious": []})

    for index, (text, gold_spans, pred_spans) in enumerate(zip(texts, gold, pred)):
        if not isinstance(text, str):
            raise PiiTaggerError(f"texts[{index}] is {type(text).__name__}, expected a string")
        for side, spans, others in (("missed", gold_spans, pred_spans), ("spurious", pred_spans, gold_spans)):
            matched = set(others)
            for span in sorted(spans):
                if span in matched:
                    continue
                if span.end > len(text):
                    raise PiiTaggerError(
                        f"span [{span.start}, {span.end}) {span.label} of text {ids[index]!r} is out of "
                        f"range for its {len(text)} characters"
                    )
                entry = slot(span.label)
                entry[f"{side}_total"] += 1
                if len(entry[side]) < per_class:
                    entry[side].append({
                        "id": str(ids[index]),
                        "label": span.label,
                        "start": span.start,
                        "end": span.end,
                        "text": text[span.start:span.end],
                        "context": mark_in_context(text, span.start, span.end, context_words),
                        "overlapping": [
                            {"label": other.label, "text": text[other.start:other.end]}
                            for other in sorted(others) if _overlaps(span, other)
                        ],
                    })
    return {label: errors[label] for label in sorted(errors)}


def mark_in_context(text: str, start: int, end: int, context_words: int = 5) -> str:
    """`... call me at ⟦06 12 34 56 78⟧ tomorrow ...`: the range with a few words either side.

    Newlines become ⏎ and other whitespace runs one space, so the result fits on one line.
    """
    if not 0 <= start <= end <= len(text):
        raise PiiTaggerError(f"range [{start}, {end}) is out of bounds for a text of {len(text)} characters")
    before, after = text[:start], text[end:]
    left_start = _start_of_last_words(before, context_words)
    right_end = _end_of_first_words(after, context_words)
    left, right = before[left_start:], after[:right_end]
    left_cut = bool(before[:left_start].strip())
    right_cut = bool(after[right_end:].strip())
    if len(left) > MAX_CONTEXT_SIDE_CHARS:
        left, left_cut = left[-MAX_CONTEXT_SIDE_CHARS:], True
    if len(right) > MAX_CONTEXT_SIDE_CHARS:
        right, right_cut = right[:MAX_CONTEXT_SIDE_CHARS], True
    return (
        ("... " if left_cut else "") + _one_line(left)
        + ENTITY_MARK_OPEN + _one_line(text[start:end]) + ENTITY_MARK_CLOSE
        + _one_line(right) + (" ..." if right_cut else "")
    )


def _start_of_last_words(text: str, count: int) -> int:
    if count == 0:
        return len(text)
    starts = [match.start() for match in re.finditer(r"\S+", text)]
    return starts[-count] if len(starts) >= count else 0


def _end_of_first_words(text: str, count: int) -> int:
    if count == 0:
        return 0
    ends = [match.end() for match in re.finditer(r"\S+", text)]
    return ends[count - 1] if len(ends) >= count else len(text)


def _one_line(text: str) -> str:
    text = re.sub(r"\r\n|\r|\n", NEWLINE_MARK, text)
    return re.sub(r"\s+", " ", text)


def _overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def _per_label_json(scores: SpanScores) -> dict:
    return {label: scores.per_label[label].to_json() for label in sorted(scores.per_label)}


def _check_span_lists(gold, pred) -> tuple[list[list[Span]], list[list[Span]]]:
    if len(gold) != len(pred):
        raise PiiTaggerError(f"gold and pred have different numbers of texts: {len(gold)} and {len(pred)}")
    return ([_as_spans(spans, "gold", i) for i, spans in enumerate(gold)],
            [_as_spans(spans, "pred", i) for i, spans in enumerate(pred)])


def _as_spans(spans, side: str, index: int) -> list[Span]:
    """Accept `Span`s or (start, end, label) triples; reject anything that is not a span."""
    if isinstance(spans, (str, bytes)) or not hasattr(spans, "__iter__"):
        raise PiiTaggerError(f"{side}[{index}] must be a list of spans, got {type(spans).__name__}")
    out = []
    for span in spans:
        if not isinstance(span, Span):
            try:
                start, end, label = span
                span = Span(int(start), int(end), str(label))
            except (TypeError, ValueError):
                raise PiiTaggerError(f"{side}[{index}] holds {span!r}, expected Span(start, end, label)") from None
        if not 0 <= span.start < span.end:
            raise PiiTaggerError(f"{side}[{index}] holds an empty or negative span {tuple(span)}")
        out.append(span)
    return out
