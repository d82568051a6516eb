"""What a predicted span may cover: a value written without spaces widened to its whole run, a
multi-word value grown to its natural extent (a firm's legal suffix, "Flat 2", "16 et 17 avril",
"Kuhlman Road"), names written without a space made one handle ("ivah.christiansen"), a title's
name, a name's title and a couple's titles ("M. et Mme"), unpaired punctuation, a sentence's full
stop and a mention's "@" left out; what is no value dropped (a function word or a lone letter
alone, a month alone, a role in a proceeding and the office listed with it). One rule set, data in
`span_extents.json`, applied identically by fit-head's validation, evaluate, predict and score
(through `tag_block`).
"""

from __future__ import annotations

import re
from typing import Sequence

from extract.records import Span
from head.span_extents import EXTENTS

# Punctuation a token may carry that never ends (or opens) an entity: "Consultant," is one
# token to some tokenizers. A bracket or quote is kept when the span holds as many of its partner: "(555)".
_TRAILING = {",": None, ";": None, ":": None, "!": None, "?": None, ")": "(", "]": "[", "»": "«", "”": "“", '"': '"',
             "(": None, "[": None, "«": None, "“": None}  # an opening bracket never ends a value: "Huerta ("
_LEADING = {"(": ")", "[": "]", "«": "»", "“": "”", '"': '"', ")": None, "]": None, "»": None, "”": None,
            ",": None, ";": None, ":": None}  # a list's punctuation never opens a value: ",c.long@gmail.com"
_CLOSING = {")": "(", "]": "[", "»": "«", "”": "“"}
_QUOTES = {('"', '"'), ("“", "”"), ("«", "»"), ("'", "'")}
# Types whose values may end in punctuation of their own: "P@ssw0rd!", "fe80::", "user_:".
_OWN_PUNCTUATION = frozenset({"PASSWORD", "IPV6", "URL", "USERNAME"})
# Types whose values may end in "!" or "?" ("Soleil2024!"), which sentence punctuation looks the same as.
_OWN_FINAL_SIGN = frozenset({"PASSWORD"})
# Types whose values never end in a full stop, though dots run through them ("10.0.0.1",
# "x.example.biz", "12.03.2021"): a final "." is the sentence's. DATE and TIME only after a figure
# ("3 Jan." and "5 p.m." keep theirs, "at 23:14." does not).
_NO_FINAL_STOP = frozenset({"IPV4", "IPV6", "URL", "EMAIL", "PHONENUMBER", "IBAN", "BIC", "CREDITCARDNUMBER",
                            "ACCOUNTNUMBER", "SSN", "ZIPCODE", "AMOUNT", "BUILDINGNUMBER", "AGE"})


_MAX_GROWTH = 8  # right or left patterns applied at most this many times to one span
_LOOK_BEHIND = 40  # characters before a span that left patterns may read


def _is_run_char(char: str, breakers: str) -> bool:
    return not char.isspace() and char not in breakers


def _next_word_initial(text: str, end: int) -> str:
    """The first character of a word one space after `end`, or "" where none follows."""
    following = text[end:end + 2]
    return following[1] if len(following) == 2 and following[0] == " " else ""


def _own_final_sign(text: str, end: int, label: str) -> bool:
    """A "!" or "?" glued to a password, with the sentence going on in lower case after it
    ("Soleil2024! a été révoqué"): it ended no sentence, so it is the password's."""
    return (label in _OWN_FINAL_SIGN and text[end - 1] in "!?"  # guard: own-final-sign-kept
            and _next_word_initial(text, end).islower())


def _whole_run(text: str, span: Span, low: int, high: int) -> tuple[int, int]:
    """`span`'s bounds widened to the run of non-space characters around it, within [low, high),
    for types written without spaces, for any span inside a run of figures and separators alone
    ("237.143.66.82", "143430.48") and for any span inside a run that holds a code symbol; sentence
    punctuation at the run's ends stays out (unless the head's own span held it)."""
    rules = EXTENTS
    breakers = rules.breakers + ("" if span.label in rules.colon_inside else ":")
    if span.label in rules.comma_breaks:  # guard: comma-ends-run
        breakers += ","
    start, end = span.start, span.end
    # A span that starts (ends) on a space or a breaker ("," of ",c.long@gmail.com") has its run inside.
    while start > low and _is_run_char(text[start - 1], breakers) and _is_run_char(text[start], breakers):
        start -= 1
    while end < high and _is_run_char(text[end], breakers) and _is_run_char(text[end - 1], breakers):
        end += 1
    while end > span.end and text[end - 1] in rules.sentence_end and not _own_final_sign(text, end, span.label):
        end -= 1
    while start < span.start and text[start] in rules.sentence_start:
        start += 1
    while start < min(end - 1, span.start) and text[start] == ".":  # neither an address nor an e-mail starts with a dot
        start += 1
    if (start, end) == (span.start, span.end):
        return start, end
    run = text[start:end]
    if span.label in rules.whole_run:
        return start, end
    if rules.numeric_run.match(run):  # guard: numeric-run-widened
        return start, end
    if any(symbol in run[1:-1] for symbol in rules.code_symbols):
        return start, end
    start, end = _figures_around(text, span, start, end)  # guard: figures-in-a-run-widened
    return start, end


def _longest_run(text: str, span: Span) -> Span:
    """`span` cut to the longest of its runs of non-space characters that holds a character of its
    type's values, for types whose values hold no space ("https://cook-wong.com/account" of
    "https://cook-wong.com/account opens", "jo@x.io" of "support jo@x.io"); whole where none does."""
    marks = EXTENTS.one_run.get(span.label)
    if marks is None:
        return span
    runs = [m.span() for m in re.finditer(r"\S+", text[span.start:span.end])
            if any(mark in m.group() for mark in marks)]
    if not runs:
        return span
    start, end = max(runs, key=lambda run: run[1] - run[0])
    return Span(span.start + start, span.start + end, span.label)


def _figures_around(text: str, span: Span, low: int, high: int) -> tuple[int, int]:
    """`span`'s bounds widened to the figures and separators around it inside its run [low, high),
    where the span is figures alone and they make one run of figures ('2' of '$2,000' covers
    '2,000', '764,336' of '764,336.48Rufiyaa' covers '764,336.48'); else its own bounds."""
    figures = EXTENTS.figures
    if not all(char in figures for char in text[span.start:span.end]):
        return span.start, span.end
    start, end = span.start, span.end
    while start > low and text[start - 1] in figures:
        start -= 1
    while end < high and text[end] in figures:
        end += 1
    while start < span.start and not text[start].isdigit():  # separators at the ends are no figures
        start += 1
    while end > span.end and not text[end - 1].isdigit():
        end -= 1
    return (start, end) if EXTENTS.numeric_run.match(text[start:end]) else (span.start, span.end)


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


def _is_title_cut_at_its_stop(text: str, span: Span) -> bool:
    """A span of another type than a name that stops right before a full stop with which it is a
    title ("MM" of "MM. Clare" read as a date); "Lady" of "Lady Chapel" is no title cut there."""
    value = text[span.start:span.end]
    return (span.label not in EXTENTS.name_labels and len(value) > 1 and text.startswith(".", span.end)
            and value + "." in EXTENTS.titles)


def _relabelled(text: str, span: Span, high: int) -> Span:
    """`span` with the type its next words make it ("Human Group" before "Coordinator": JOBTITLE),
    a title read as another type than a name a PREFIX ("MM" of "MM. Clare" read as a date)."""
    value = text[span.start:span.end]
    if _is_title_cut_at_its_stop(text, span):  # guard: title-relabelled
        return Span(span.start, span.end, "PREFIX")
    for target, when in EXTENTS.becomes.get(span.label, ()):
        found = EXTENTS.right[target][0][0].match(text, span.end)
        if found is not None and found.end() <= high and (when is None or when.match(value)):
            return Span(span.start, span.end, target)
    return span


def _joined(text: str, kept: list[tuple[Span, Span]]) -> list[tuple[Span, Span]]:
    """Neighbours of one type with only a joiner between them made one ("Jean-Pierre", "john.doe"),
    and a day with the rest of its date ("10 et 11 janvier 1990")."""
    out: list[tuple[Span, Span]] = []
    for cleaned, decoded in kept:
        if out:
            last, last_decoded = out[-1]
            if last.label == cleaned.label and last.end < cleaned.start and _joins(text, last, cleaned):
                out[-1] = (Span(last.start, cleaned.end, last.label),
                           Span(last_decoded.start, max(decoded.end, last_decoded.end), last.label))
                continue
        out.append((cleaned, decoded))
    return out


def _joins(text: str, first: Span, second: Span) -> bool:
    """Whether only a joiner stands between two spans of one type, or (for some types) what the
    first ends with and the words after it make them one value ("10 et 11 janvier 1990")."""
    if EXTENTS.join.match(text[first.end - 1:second.start + 1]):
        return True
    by_type = EXTENTS.join_by_type.get(first.label)
    # The first span's last words only: a chain of days ("1, 2, 3 et 4 mai") stays linear.
    return by_type is not None and by_type.search(text[max(first.start, first.end - 16):second.start + 1]) is not None


def _runs_joined(text: str, spans: Sequence[Span]) -> list[Span]:
    """Neighbours in one run of non-space characters made one span: names touching or with one
    joiner between them are a handle ("Ivah.Christiansen", "Roma_Altenwerth"), and spans of any
    types in one run of figures and separators are one value with the longer one's type
    ("11.179" and "229.48" of an IPv4 address): no joiner left visible between hidden parts."""
    out: list[Span] = []
    for span in spans:
        last = out[-1] if out else None
        if last is not None and _is_handle(text, last, span):
            out[-1] = Span(last.start, span.end, EXTENTS.handle_label)
        elif last is not None and _is_numeric_run(text, last, span):  # guard: numeric-parts-joined
            longer = max((last, span), key=lambda s: s.end - s.start)
            out[-1] = Span(last.start, span.end, longer.label)
        else:
            out.append(span)
    return out


def _at_most_one_apart(first: Span, second: Span) -> bool:
    """Whether `second` starts where `first` ends or one character after."""
    return first.end <= second.start <= first.end + 1


def _is_numeric_run(text: str, first: Span, second: Span) -> bool:
    """Two spans with nothing or one character between them that together are figures and separators alone."""
    if not _at_most_one_apart(first, second):
        return False
    run = text[first.start:second.end].rstrip(EXTENTS.sentence_end)
    return not any(char.isspace() for char in run) and EXTENTS.numeric_run.match(run) is not None


def _is_handle(text: str, first: Span, second: Span) -> bool:
    """Two names with nothing or one joiner between them, no space in either, a joiner or a figure
    in the whole, and two letters at least in the first ("J.Smith" is a name as written)."""
    labels, joiners = EXTENTS.handle_labels, EXTENTS.handle_joiners
    if first.label not in labels or second.label not in labels or not _at_most_one_apart(first, second):
        return False
    run, gap = text[first.start:second.end], text[first.end:second.start]
    return (all(char in joiners for char in gap) and not any(char.isspace() for char in run)
            and any(char in joiners or char.isdigit() for char in run)
            and sum(char.isalpha() for char in text[first.start:first.end]) >= 2
            and not _in_an_address(text, first.start, second.end))


def _in_an_address(text: str, start: int, end: int) -> bool:
    """Whether [start, end) lies in a run of non-space characters with an "@" or a "/" (an e-mail, a URL)."""
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    return "@" in text[start:end] or "/" in text[start:end]


def _title_before(text: str, low: int, start: int) -> re.Match | None:
    """Titles ending right before `start` ("MM. ", "Lord Justice "), read no further back than `low`."""
    return EXTENTS.titles_before.search(text, max(low, start - _LOOK_BEHIND), start)


def _initials_before(text: str, low: int, start: int) -> list[Span]:
    """Initials no span covers right before `start`, that are no title ("L. " of "M. L. Loucaides"),
    where a name may start: after a title, a span, a comma or a bracket, or at the text's start
    ("grade of A. Smith", "Part I. Smith" hold none)."""
    found: list[Span] = []
    while (initial := EXTENTS.initial.search(text, max(low, start - 3), start)) is not None:
        if text[initial.start():initial.start() + 2] in EXTENTS.titles:
            break
        start = initial.start()
        found.insert(0, Span(start, start + 2, EXTENTS.initial_label))
    before = text[low:start].rstrip()  # empty: right after a span, or at the text's start
    opens = not before or before[-1] in ",;:([«\"“"
    return found if opens or _title_before(text, low, start) else []


def _titles_before_names(text: str, kept: list[tuple[Span, Span]]) -> list[tuple[Span, Span]]:
    """A title no span covers right before a name span becomes its PREFIX span ("MM. Dupont"),
    an initial its MIDDLENAME span ("I. Cabral")."""
    out: list[tuple[Span, Span]] = []
    for cleaned, decoded in kept:
        if cleaned.label in EXTENTS.name_labels:
            low = out[-1][0].end if out else 0
            initials = _initials_before(text, low, cleaned.start)  # guard: initial-before-name
            title = _title_before(text, low, initials[0].start if initials else cleaned.start)
            if title is not None:  # guard: title-before-name
                end = title.start() + len(title.group().rstrip())
                out.append((Span(title.start(), end, "PREFIX"), decoded))
            out.extend((initial, decoded) for initial in initials)
        out.append((cleaned, decoded))
    return out


def _numbers_beside(text: str, kept: list[tuple[Span, Span]]) -> list[tuple[Span, Span]]:
    """Figures no span covers right before or after a street span are its building number ("645
    Center Street", "Kuhlman Run 755"), scored on the street's decoded span."""
    out: list[tuple[Span, Span]] = []
    for i, (cleaned, decoded) in enumerate(kept):
        rule = EXTENTS.beside.get(cleaned.label)
        if rule is None:
            out.append((cleaned, decoded))
            continue
        label, before, after = rule
        low = out[-1][0].end if out else 0
        high = kept[i + 1][0].start if i + 1 < len(kept) else len(text)
        if (number := before.search(text, max(low, cleaned.start - _LOOK_BEHIND), cleaned.start)) is not None:  # guard: number-before-street
            out.append((Span(*number.span(1), label), decoded))
        out.append((cleaned, decoded))
        if (number := after.match(text[cleaned.end:high])) is not None:  # guard: number-after-street
            out.append((Span(cleaned.end + number.start(1), cleaned.end + number.end(1), label), decoded))
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
    return not _next_word_initial(text, span.end).isupper()  # "M. Arifcan Şener": a capitalised word in any script


def _unpaired(text: str, start: int, end: int, char: str, partner: str | None) -> bool:
    """Whether `char` at an end of [start, end) has no partner inside: more of it than of its
    partner ("((400) 362-1495"), an odd count of a quote that is its own partner, or no partner at all."""
    if partner is None:
        return True
    if partner == char:
        return text.count(char, start, end) % 2 == 1
    return text.count(char, start, end) > text.count(partner, start, end)


def _is_final_stop(text: str, start: int, end: int, label: str) -> bool:
    return (end - start > 1 and text[end - 1] == "."
            and (label in _NO_FINAL_STOP or (label in ("DATE", "TIME") and text[end - 2].isdigit())))


def _closes_outer_bracket(text: str, start: int, end: int) -> bool:
    """The span ends in the closing partner of a bracket right before it, with no opening one inside."""
    opening = _CLOSING.get(text[end - 1])
    return (opening is not None and end - start > 1 and start > 0 and text[start - 1] == opening
            and opening not in text[start:end - 1])


def _is_function_word(word: str, label: str) -> bool:
    """Written in capitals, a function word may be a code or a name: "SA" (a legal form), "IL",
    "OR" (US states), "ELLE" (a magazine); as a person's name, one of three letters or more is a
    heading's ("LES" of "I. LES CIRCONSTANCES")."""
    if len(word) > 1 and word.isupper() and (len(word) == 2 or label not in EXTENTS.name_labels):  # guard: capitals-code
        return False
    return word.casefold() in EXTENTS.function_words or word in EXTENTS.lower_case_words


def _function_word_tail(text: str, start: int, end: int, label: str) -> int | None:
    """Where a span should end instead when its last word is a function word after a space
    ("Customer Success Lead in"), else None. A capital letter ("Bâtiment A") or a capitalised last
    word of a name ("Tran Le") is no function word there."""
    cut = text.rfind(" ", start, end)
    word = text[cut + 1:end].rstrip("'’")
    if cut <= start or not _is_function_word(word, label) or (len(word) == 1 and word.isupper()):
        return None
    return None if label in EXTENTS.name_labels and word[:1].isupper() else cut


def _after_a_name(text: str, word: Span, previous: Span | None) -> bool:
    """Right after a name or a title, tagged ("Sarah Le", "Mr Le") or not ("Mme Le")."""
    if previous is not None and _adjacent(text, previous, word) and previous.label in EXTENTS.name_labels | {"PREFIX"}:
        return True
    return bool(_title_before(text, previous.end if previous is not None else 0, word.start))


def _in_a_name(text: str, word: Span, previous: Span | None, following: Span | None) -> bool:
    """A function word right after a title or a name ("Mr Le", "Mme Le", "Sarah Le"; a capitalised
    name after a span of any type: "Sarah" misread, then "Le"), or a capitalised one or a particle
    right before a name ("Les Dennis", "Do Minh", "le Lopes"), is part of a person's name."""
    value = text[word.start:word.end]
    if _after_a_name(text, word, previous):
        return True
    if (previous is not None and _adjacent(text, previous, word)
            and word.label in EXTENTS.name_labels and value[0].isupper()):
        return True
    return (following is not None and following.label in EXTENTS.name_labels and _adjacent(text, word, following)
            and (value[0].isupper() or value.casefold() in EXTENTS.particles))


def _names_a_job(value: str) -> bool:
    """Whether a word of `value`, whole or a part of it between signs, is a job noun ("directrice
    commerciale", "microbiologiste-conseil", "l'avocate", "avocat·e", "cto.", "senior data analyst")."""
    words = value.casefold().split()
    return any(part in EXTENTS.job_nouns for word in words for part in (word, *re.split(r"[^\w]+", word)))


def _segment(text: str, span: Span, breaks: str) -> tuple[int, int]:
    """The bounds of the stretch of `text` around `span` that none of `breaks` cuts (a line, a list's entry)."""
    start = max(text.rfind(char, 0, span.start) for char in breaks) + 1
    end = min((i for char in breaks if (i := text.find(char, span.end)) != -1), default=len(text))
    return start, end


# A heading's numbering at a line's start: "I. ", "IV. ", "B. ", "2. " ("M. " is a title, not a number).
_NUMBERED = re.compile(r"[ \t]*(?:[IVXLC]+|[A-Z]|[0-9]+)\.[ \t]")


def _is_a_heading(text: str, span: Span) -> bool:
    """Whether `span` holds words of a numbered heading in capitals: its line starts with a number
    and is all in capitals, and the span holds a function word of three letters or more ("LES
    CIRCONSTANCES" of "I. LES CIRCONSTANCES DE L'ESPÈCE", "THE LAW" of "II. THE LAW"). A name in
    capitals stays one, in a heading too ("III. THE CASE OF JOHN SMITH": "JOHN SMITH")."""
    line = text[slice(*_segment(text, span, "\n"))]
    number = _NUMBERED.match(line)
    if number is None or number.group().strip() in EXTENTS.titles or not line.isupper():
        return False
    return any(len(word) >= 3 and word.casefold() in EXTENTS.function_words and word.casefold() not in EXTENTS.particles
               for word in re.findall(r"[^\W\d_]+", text[span.start:span.end]))


# A role in an appearance list stands between a comma and the list's punctuation ("M. R. Reed, conseil,").
_ROLE_AFTER = re.compile(r"[ \t]*(?:[,;.)]|$)", re.MULTILINE)


def _is_role_in_a_list(text: str, span: Span) -> bool:
    """Whether `span` is one role word in lower case after a comma and before a list's punctuation or
    the line's end ("M. R. Reed, conseil,", "Mme J. Liddy, déléguée ;", "Mme J. Sawyer, conseillère."):
    a role in a proceeding, not an occupation ("Marie Dupont, conseillère à la BNP" keeps hers)."""
    value = text[span.start:span.end].rstrip(".")
    return (value[:1].islower() and value.casefold() in EXTENTS.job_roles
            and text[max(0, span.start - 2):span.start] == ", " and bool(_ROLE_AFTER.match(text, span.start + len(value))))


# A list item of one word: a role in the proceeding where it is one of `job.roles` (", conseil,", ", Agent ;").
_ROLE_ITEM = re.compile(r",[ \t]*([^\W\d_][\w-]*)[ \t]*(?=[,;.)]|$)", re.MULTILINE)
_ENTRY_BREAKS = ";\n"  # what ends an entry of an appearance list


def _is_capacity_in_a_proceeding(text: str, span: Span) -> bool:
    """Whether `span` is an item of an appearance-list entry, after a titled name and before a
    role in the proceeding ("Mme A. Glover, conseiller juridique, ministère des Affaires
    étrangères, agent,", "Me J. Axelsson, avocat, conseil.", "juriste, conseil" as one span): the
    capacity in which one appears, on the proceeding's record. The span starts its item (or that
    item's first word: "sous-secrétaire" read from its hyphen), and an item before it starts with
    a title or an initial: a signature ("John Smith, Sales Manager, Acme, agent.") or a sentence
    ("Hi, I am the Marketing Manager, thanks, agent.") is no such list."""
    start, end = _segment(text, span, _ENTRY_BREAKS)
    *before, own = text[start:span.start].split(",")
    if not before or len(own.split()) > 1:
        return False
    if not any(EXTENTS.titled_item.match(item.rsplit(":", 1)[-1].strip()) for item in before):
        return False
    # From the span's start: the role may be inside it ("juriste, conseil" read as one title).
    return any(item.group(1).casefold() in EXTENTS.job_roles for item in _ROLE_ITEM.finditer(text, span.start, end))


def _is_value(text: str, span: Span, previous: Span | None, following: Span | None) -> bool:
    """Whether `span` can be a value: not punctuation alone, not a function word alone (but in a
    name: "Sarah Le"), not a greeting taken for a name ("Salut" of "Salut Camille"; "Jonathan Hey"
    is a name), not a lone letter of a type that has none ("E: ana@x.fr"), not what its type never
    is alone (a month alone is no DATE, but beside the rest of its date: "12", "juillet", "1993"),
    not a job title in lower case that names no job ("article" of "article 25", "ministère") nor
    a role in a proceeding, alone in a list ("M. R. Reed, conseil,": the occupation beside it stays),
    nor the office an appearance list gives with such a role ("Me J. Axelsson, avocat, conseil.")."""
    value, label = text[span.start:span.end], span.label
    if not any(char.isalnum() for char in value):  # guard: punctuation-alone-dropped
        return False
    word = value.rstrip("'’")
    if len(word) > 1 and _is_function_word(word, label) and not _in_a_name(text, span, previous, following):  # guard: function-word-dropped
        return False
    if label in EXTENTS.name_labels and _is_a_heading(text, span):  # guard: heading-no-name
        return False
    greeting = label in EXTENTS.name_labels and word.casefold() in EXTENTS.greetings
    if greeting and not _after_a_name(text, span, previous):  # guard: greeting-dropped
        return False
    if len(word) == 1 and word.isalpha() and label not in EXTENTS.single_letter_labels:  # guard: lone-letter-dropped
        return False
    if label == EXTENTS.job_label and value[0].islower() and not _names_a_job(value):  # guard: lower-case-job-named
        return False
    if label == EXTENTS.job_label and _is_role_in_a_list(text, span):  # guard: role-no-job
        return False
    if label == EXTENTS.job_label and _is_capacity_in_a_proceeding(text, span):  # guard: capacity-no-job
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
    spans = _runs_joined(text, spans)  # guard: handle-joined
    for i, span in enumerate(spans):
        low = kept[-1][0].end if kept else 0
        high = spans[i + 1].start if i + 1 < len(spans) else len(text)
        span = _relabelled(text, span, high)  # guard: relabelled-by-next-words
        span = _longest_run(text, span)  # guard: one-run-kept
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
            if last in _TRAILING and _unpaired(text, start, end, last, _TRAILING[last]):
                end -= 1
                continue
            if first in _LEADING and _unpaired(text, start, end, first, _LEADING[first]):  # guard: unpaired-bracket
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
    kept = _titles_before_names(text, _numbers_beside(text, kept))
    # Once the titles before names are in: a couple's titles join too ("M. et Mme Robins").
    kept = _joined(text, kept)  # guard: same-type-joined
    return _names_after_titles(text, kept)


def trim_punctuation(text: str, spans: Sequence[Span]) -> list[Span]:
    """The spans `clean_spans` gives, without the decoded span each came from.

    A span is widened to its whole run and grown to its natural extent (`span_extents.json`), then
    loses unpaired punctuation, spaces, a sigil and a function word at its ends (types whose values
    may end in punctuation, `_OWN_PUNCTUATION`, keep theirs, but for a final full stop where the type
    never ends in one, `_NO_FINAL_STOP`, and brackets around them); what is no value is dropped; a
    title's name and a name's title are added.
    """
    return [cleaned for cleaned, _ in clean_spans(text, spans)]
