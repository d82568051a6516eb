"""What a predicted span may cover: unpaired punctuation trimmed from its ends, a sentence's full
stop left out, a value written without spaces widened to its whole run. One rule set, applied
identically by fit-head's validation, evaluate, predict and score (through `tag_block`).
"""

from __future__ import annotations

import re
from typing import Sequence

from extract.records import Span

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
        start, end = _whole_run(text, span, low, high)  # guard: whole-run-widened
        own = span.label in _OWN_PUNCTUATION
        while start < end:
            last = text[end - 1]
            if _is_final_stop(text, start, end, span.label):  # guard: final-stop-trimmed
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
