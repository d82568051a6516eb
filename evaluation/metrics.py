"""Entity-level evaluation of a tagger: span scores per mode, class and language, character-level
redaction scores, the most confused label pairs and error examples with their context.
"""

from __future__ import annotations

import re
from collections import Counter

from extract.errors import PiiTaggerError
from extract.records import Span
from extract.span_metrics import MODES, CharCounts, LabelCharCounts, SpanScores, char_scores, score_corpus

# Bounds on what one error example carries, so a long address or a base64 blob stays readable.
MAX_CONTEXT_SIDE_CHARS = 80
ENTITY_MARK_OPEN, ENTITY_MARK_CLOSE = "⟦", "⟧"
NEWLINE_MARK = "⏎"


def entity_metrics(gold: list[list[Span]], pred: list[list[Span]], languages: list[str],
                   texts: list[str] | None = None, ignored: list | None = None) -> dict:
    """Span scores in the three matching modes and, given `texts`, character-level redaction scores.

    Span entries are `Counts.to_json()` (precision, recall, f1, f5, gold, pred, gold_matched,
    pred_matched); `overlap` and `detection` match one to one (see `extract.span_metrics.match_spans`).
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
