"""What a predicted span may cover: a value written without spaces widened to its whole run, a
multi-word value grown to its natural extent (a firm's legal suffix, "Flat 2", "16 et 17 avril"),
a title's name and a name's title, unpaired punctuation, a sentence's full stop and a mention's "@"
left out; what is no value dropped (a function word or a lone letter alone, a month alone). One
rule set, data in `span_extents.json`, applied identically by fit-head's validation, evaluate,
predict and score (through `tag_block`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from extract.records import Span
from extract.synth.dates import months, weekdays

# Punctuation a token may carry that never ends (or opens) an entity: "Consultant," is one
# token to some tokenizers. A bracket or quote is kept when the span holds its partner: "(555)".
_TRAILING = {",": None, ";": None, ":": None, "!": None, "?": None, ")": "(", "]": "[", "»": "«", "”": "“", '"': '"',
             "(": None, "[": None, "«": None, "“": None}  # an opening bracket never ends a value: "Huerta ("
_LEADING = {"(": ")", "[": "]", "«": "»", "“": "”", '"': '"', ")": None, "]": None, "»": None, "”": None}
_CLOSING = {")": "(", "]": "[", "»": "«", "”": "“"}
_QUOTES = {('"', '"'), ("“", "”"), ("«", "»"), ("'", "'")}
# Types whose values may end in punctuation of their own: "P@ssw0rd!", "fe80::", "user_:".
_OWN_PUNCTUATION = frozenset({"PASSWORD", "IPV6", "URL", "USERNAME"})
# Types whose values never end in a full stop, though dots run through them ("10.0.0.1",
# "x.example.biz", "12.03.2021"): a final "." is the sentence's. DATE and TIME only after a figure
# ("3 Jan." and "5 p.m." keep theirs, "at 23:14." does not).
_NO_FINAL_STOP = frozenset({"IPV4", "IPV6", "URL", "EMAIL", "PHONENUMBER", "IBAN", "BIC", "CREDITCARDNUMBER",
                            "ACCOUNTNUMBER", "SSN", "ZIPCODE", "AMOUNT", "BUILDINGNUMBER", "AGE"})


_EXTENTS_FILE = Path(__file__).with_name("span_extents.json")


@dataclass(frozen=True)
class _Extents:
    """How far a span reaches (head/span_extents.json), compiled once."""

    whole_run: frozenset  # types written without spaces: the whole run of non-space characters
    numeric_only: frozenset  # of those, widened only over a run of figures and separators
    numeric_run: re.Pattern
    breakers: str  # non-space characters that end a run anyway
    colon_inside: frozenset  # types whose runs go on through ':'
    code_symbols: str  # inside a run, they make it a code whatever the span's type
    sentence_end: str
    sentence_start: str
    sigils: dict  # label -> characters before a value that are not the value ("@" of "@jdoe")
    right: dict  # label -> [(pattern matched at the span's end, pattern its text must match or None)]
    left: dict  # label -> [(pattern matched just before the span's start, pattern its text must match or None)]
    join: re.Pattern  # two spans of one type with this between them (and a character either side) become one
    title_word: re.Pattern
    title_labels: tuple  # (label of the first of two words, label of the last)
    name_labels: frozenset  # labels of a person's names: a lone FIRSTNAME after a title is a surname only beside none
    titles_before: re.Pattern  # titles no span covers, ending right before a name ("MM. ", "Lord Justice ")
    function_words: frozenset  # lower-case words that are never a value alone ("le", "Selon", "at")
    lower_case_words: frozenset  # the same, only as written in lower case ("it", not "IT")
    particles: frozenset  # function words that open a surname ("Le Lopes", "van Dijk")
    alone: dict  # label -> pattern of what is never a value of that type on its own (a weekday alone)
    single_letter_labels: frozenset  # the only types a lone letter may be (an initial, "Bât. B")


def _load_extents(path: Path = _EXTENTS_FILE) -> _Extents:
    data = json.loads(path.read_text(encoding="utf-8"))
    run = data["whole_run"]
    names = {"<MONTH>": "|".join(months("fr") + months("en")), "<WEEKDAY>": "|".join(weekdays("fr") + weekdays("en"))}

    def compiled(pattern: str) -> re.Pattern:  # the calendar's names stand in for <MONTH> and <WEEKDAY>
        return re.compile(re.sub("|".join(names), lambda m: names[m.group()], pattern))

    def entry(item) -> tuple:
        if isinstance(item, str):
            return compiled(item), None
        return compiled(item["pattern"]), compiled(item["when"])

    def patterns(section: dict) -> dict:
        return {label: [entry(p) for p in items] for label, items in section.items() if not label.startswith("_")}

    return _Extents(
        whole_run=frozenset(run["labels"]), numeric_only=frozenset(run["numeric_only"]),
        numeric_run=re.compile(run["numeric_run"]), breakers=run["breakers"],
        colon_inside=frozenset(run["colon_inside"]), code_symbols=run["code_symbols"],
        sentence_end=run["sentence_end"], sentence_start=run["sentence_start"], sigils=run["sigils"],
        right=patterns(data["right"]), left=patterns(data["left"]), join=re.compile(data["join"]["pattern"]),
        title_word=re.compile(data["after_title"]["word"]), title_labels=tuple(data["after_title"]["labels"]),
        name_labels=frozenset(data["after_title"]["name_labels"]),
        titles_before=re.compile(r"(?<![\w.])(?:(?:%s) +)+$" % "|".join(
            re.escape(title) for title in sorted(data["after_title"]["titles"].split(), key=len, reverse=True))),
        function_words=frozenset(data["no_value"]["function_words"].split()),
        lower_case_words=frozenset(data["no_value"]["lower_case_words"].split()),
        particles=frozenset(data["no_value"]["particles"].split()),
        alone={label: compiled(p) for label, p in data["no_value"]["alone"].items()},
        single_letter_labels=frozenset(data["no_value"]["single_letter_labels"]))


EXTENTS = _load_extents()
_MAX_GROWTH = 8  # right or left patterns applied at most this many times to one span
_LOOK_BEHIND = 40  # characters before a span that left patterns may read


def _is_run_char(char: str, breakers: str) -> bool:
    return not char.isspace() and char not in breakers


def _whole_run(text: str, span: Span, low: int, high: int) -> tuple[int, int]:
    """`span`'s bounds widened to the run of non-space characters around it, within [low, high),
    for types written without spaces and for any span inside a run that holds a code symbol;
    sentence punctuation at the run's ends stays out (unless the head's own span held it)."""
    rules = EXTENTS
    breakers = rules.breakers + ("" if span.label in rules.colon_inside else ":")
    start, end = span.start, span.end
    while start > low and _is_run_char(text[start - 1], breakers):
        start -= 1
    while end < high and _is_run_char(text[end], breakers):
        end += 1
    while end > span.end and text[end - 1] in rules.sentence_end:
        end -= 1
    while start < span.start and text[start] in rules.sentence_start:
        start += 1
    while start < min(end - 1, span.start) and text[start] == ".":  # neither an address nor an e-mail starts with a dot
        start += 1
    if (start, end) == (span.start, span.end):
        return start, end
    run = text[start:end]
    if span.label in rules.whole_run and (span.label not in rules.numeric_only or rules.numeric_run.match(run)):
        return start, end
    if any(symbol in run[1:-1] for symbol in rules.code_symbols):
        return start, end
    return span.start, span.end


def _grown(text: str, label: str, start: int, end: int, low: int, high: int) -> tuple[int, int]:
    """[start, end) grown over the words its type's patterns add on either side, within [low, high)."""
    for _ in range(_MAX_GROWTH):
        found = next((m for p, when in EXTENTS.right.get(label, ()) if (when is None or when.search(text[start:end]))
                      and (m := p.match(text, end)) and m.end() <= high), None)
        if found is None or found.end() == end:
            break
        end = found.end()
    for _ in range(_MAX_GROWTH):
        window = max(low, start - _LOOK_BEHIND)
        found = next((m for p, when in EXTENTS.left.get(label, ()) if (when is None or when.search(text[start:end]))
                      and (m := p.search(text, window, start))), None)
        if found is None or found.start() == start:
            break
        start = found.start()
    return start, end


def _joined(text: str, kept: list[tuple[Span, Span]]) -> list[tuple[Span, Span]]:
    """Neighbours of one type with only a joiner between them made one ("Jean-Pierre", "john.doe")."""
    out: list[tuple[Span, Span]] = []
    for cleaned, decoded in kept:
        if out:
            last, last_decoded = out[-1]
            if (last.label == cleaned.label and last.end < cleaned.start
                    and EXTENTS.join.match(text[last.end - 1:cleaned.start + 1])):
                out[-1] = (Span(last.start, cleaned.end, last.label),
                           Span(last_decoded.start, max(decoded.end, last_decoded.end), last.label))
                continue
        out.append((cleaned, decoded))
    return out


def _title_before(text: str, low: int, start: int) -> re.Match | None:
    """Titles ending right before `start` ("MM. ", "Lord Justice "), read no further back than `low`."""
    return EXTENTS.titles_before.search(text, max(low, start - _LOOK_BEHIND), start)


def _titles_before_names(text: str, kept: list[tuple[Span, Span]]) -> list[tuple[Span, Span]]:
    """A title no span covers right before a name span becomes its PREFIX span ("MM. Dupont")."""
    out: list[tuple[Span, Span]] = []
    for cleaned, decoded in kept:
        if cleaned.label in EXTENTS.name_labels:
            title = _title_before(text, out[-1][0].end if out else 0, cleaned.start)
            if title is not None:  # guard: title-before-name
                end = title.start() + len(title.group().rstrip())
                out.append((Span(title.start(), end, "PREFIX"), decoded))
        out.append((cleaned, decoded))
    return out


def _names_after_titles(text: str, kept: list[tuple[Span, Span]]) -> list[tuple[Span, Span]]:
    """A title's name: up to two capitalised words right after a PREFIX span that no span covers."""
    out: list[tuple[Span, Span]] = []
    for i, (cleaned, decoded) in enumerate(kept):
        if _is_lone_name_after_title(text, kept, i):  # guard: title-surname
            cleaned = Span(cleaned.start, cleaned.end, EXTENTS.title_labels[-1])
        out.append((cleaned, decoded))
        if cleaned.label != "PREFIX":
            continue
        high = kept[i + 1][0].start if i + 1 < len(kept) else len(text)
        words, position = [], cleaned.end
        while len(words) < 2 and position < high and text[position] == " ":
            word = EXTENTS.title_word.match(text, position + 1)
            if word is None or word.end() > high:
                break
            words.append(word.span())
            position = word.end()
        # One word right before another span ("Mr John [Smith]") is the first of two names.
        before_span = bool(words) and i + 1 < len(kept) and high - position <= 1
        labels = EXTENTS.title_labels[:len(words)] if before_span else EXTENTS.title_labels[-len(words):]
        out.extend((Span(s, e, label), decoded) for (s, e), label in zip(words, labels))  # guard: title-name
    return out


def _adjacent(text: str, left: Span | None, right: Span | None) -> bool:
    """Whether only spaces stand between `left` and `right` (both present)."""
    return left is not None and right is not None and not text[left.end:right.start].strip()


def _is_lone_name_after_title(text: str, kept: list[tuple[Span, Span]], i: int) -> bool:
    """A FIRSTNAME span right after a title with no name after it: "Mrs Miranda", "M. Louis" name the surname."""
    span = kept[i][0]
    if span.label != EXTENTS.title_labels[0] or i == 0:
        return False
    title = kept[i - 1][0]
    if title.label != "PREFIX" or not _adjacent(text, title, span):
        return False
    after = kept[i + 1][0] if i + 1 < len(kept) else None
    if after is not None and after.label in EXTENTS.name_labels and _adjacent(text, span, after):
        return False  # "Mr John [Smith]"
    following = text[span.end:span.end + 2]  # "M. Arifcan Şener": a capitalised word in any script follows
    return not (len(following) == 2 and following[0] == " " and following[1].isupper())


def _is_final_stop(text: str, start: int, end: int, label: str) -> bool:
    return (end - start > 1 and text[end - 1] == "."
            and (label in _NO_FINAL_STOP or (label in ("DATE", "TIME") and text[end - 2].isdigit())))


def _closes_outer_bracket(text: str, start: int, end: int) -> bool:
    """The span ends in the closing partner of a bracket right before it, with no opening one inside."""
    opening = _CLOSING.get(text[end - 1])
    return (opening is not None and end - start > 1 and start > 0 and text[start - 1] == opening
            and opening not in text[start:end - 1])


def _is_function_word(word: str) -> bool:
    """Written in capitals, a function word may be a code: "SA" (a legal form), "IL", "OR" (US states)."""
    if len(word) > 1 and word.isupper():
        return False
    return word.casefold() in EXTENTS.function_words or word in EXTENTS.lower_case_words


def _function_word_tail(text: str, start: int, end: int, label: str) -> int | None:
    """Where a span should end instead when its last word is a function word after a space
    ("Customer Success Lead in"), else None. A capital letter ("Bâtiment A") or a capitalised last
    word of a name ("Tran Le") is no function word there."""
    cut = text.rfind(" ", start, end)
    word = text[cut + 1:end].rstrip("'’")
    if cut <= start or not _is_function_word(word) or (len(word) == 1 and word.isupper()):
        return None
    return None if label in EXTENTS.name_labels and word[:1].isupper() else cut


def _in_a_name(text: str, word: Span, previous: Span | None, following: Span | None) -> bool:
    """A function word right after a title or a name ("Mr Le", "Mme Le", "Sarah Le"), or a
    capitalised one or a particle right before a name ("Les Dennis", "Do Minh", "le Lopes"), is
    part of a person's name."""
    names = EXTENTS.name_labels | {"PREFIX"}
    if previous is not None and previous.label in names and _adjacent(text, previous, word):
        return True
    if _title_before(text, previous.end if previous is not None else 0, word.start):  # one the head left out: "Mme Le"
        return True
    value = text[word.start:word.end]
    return (following is not None and following.label in EXTENTS.name_labels and _adjacent(text, word, following)
            and (value[0].isupper() or value.casefold() in EXTENTS.particles))


def _is_value(text: str, span: Span, previous: Span | None, following: Span | None) -> bool:
    """Whether `span` can be a value: not punctuation alone, not a function word alone (but in a
    name: "Sarah Le"), not a lone letter of a type that has none ("E: ana@x.fr"), not what its type
    never is alone (a month alone is no DATE, but beside the rest of its date: "12", "juillet", "1993")."""
    value, label = text[span.start:span.end], span.label
    if not any(char.isalnum() for char in value):  # guard: punctuation-alone-dropped
        return False
    word = value.rstrip("'’")
    if len(word) > 1 and _is_function_word(word) and not _in_a_name(text, span, previous, following):  # guard: function-word-dropped
        return False
    if len(word) == 1 and word.isalpha() and label not in EXTENTS.single_letter_labels:  # guard: lone-letter-dropped
        return False
    if label in EXTENTS.alone and EXTENTS.alone[label].match(value):
        return any(other is not None and other.label == label and _adjacent(text, *pair)
                   for other, pair in ((previous, (previous, span)), (following, (span, following))))
    return True


def _split_at_line_breaks(text: str, spans: Sequence[Span]) -> list[Span]:
    """Spans cut at line breaks: no value runs over one (an address's lines are spans of their own)."""
    pieces: list[Span] = []
    for span in spans:
        start = span.start
        while (newline := text.find("\n", start, span.end)) != -1:
            if newline > start:
                pieces.append(Span(start, newline, span.label))
            start = newline + 1
        if start < span.end:
            pieces.append(Span(start, span.end, span.label))
    return pieces


def clean_spans(text: str, spans: Sequence[Span]) -> list[tuple[Span, Span]]:
    """(cleaned span, the decoded span it came from) for each span `trim_punctuation` keeps, for
    the name after a title (its decoded span is the title's) and the title before a name (the name's)."""
    kept: list[tuple[Span, Span]] = []
    spans = _split_at_line_breaks(text, spans)  # guard: no-span-across-lines
    for i, span in enumerate(spans):
        low = kept[-1][0].end if kept else 0
        high = spans[i + 1].start if i + 1 < len(spans) else len(text)
        start, end = _whole_run(text, span, low, high)  # guard: whole-run-widened
        start, end = _grown(text, span.label, start, end, low, high)  # guard: extents-grown
        own = span.label in _OWN_PUNCTUATION
        sigils = EXTENTS.sigils.get(span.label, "")
        while start < end:
            first, last = text[start], text[end - 1]
            if first.isspace() or last.isspace():  # no value starts or ends on a space, whatever its type
                start, end = start + first.isspace(), end - (last.isspace() and end - start > 1)
                continue
            if _is_final_stop(text, start, end, span.label):  # guard: final-stop-trimmed
                end -= 1
                continue
            if end - start > 1 and first in sigils:  # guard: sigil-outside
                start += 1
                continue
            if _closes_outer_bracket(text, start, end):  # "(Automne09@)": a value's own punctuation stops inside
                end -= 1
                continue
            if own:
                break
            if (tail := _function_word_tail(text, start, end, span.label)) is not None:  # guard: function-word-tail
                end = tail
                continue
            if last in _TRAILING and (_TRAILING[last] is None or text.count(_TRAILING[last], start, end - 1) == 0):
                end -= 1
                continue
            if first in _LEADING and (_LEADING[first] is None or text.count(_LEADING[first], start + 1, end) == 0):
                start += 1
                continue
            if (end - start >= 2 and (first, last) in _QUOTES  # a quoted name: the quotes are not the name
                    and text.count(first, start + 1, end - 1) == 0 and text.count(last, start + 1, end - 1) == 0):
                start, end = start + 1, end - 1
                continue
            break
        following = spans[i + 1] if i + 1 < len(spans) else None
        if _is_value(text, Span(start, end, span.label), kept[-1][0] if kept else None, following):
            kept.append((Span(start, end, span.label), span))
    kept = _joined(text, kept)  # guard: same-type-joined
    return _names_after_titles(text, _titles_before_names(text, kept))


def trim_punctuation(text: str, spans: Sequence[Span]) -> list[Span]:
    """The spans `clean_spans` gives, without the decoded span each came from.

    A span is widened to its whole run and grown to its natural extent (`span_extents.json`), then
    loses unpaired punctuation, spaces, a sigil and a function word at its ends (types whose values
    may end in punctuation, `_OWN_PUNCTUATION`, keep theirs, but for a final full stop where the type
    never ends in one, `_NO_FINAL_STOP`, and brackets around them); what is no value is dropped; a
    title's name and a name's title are added.
    """
    return [cleaned for cleaned, _ in clean_spans(text, spans)]
