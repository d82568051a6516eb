"""The data of what a predicted span may cover (`span_extents.json`), read and compiled once:
which types widen to their whole run, which words grow a span, what is no value.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from extract.synth.dates import months, weekdays
from extract.synth.work import job_nouns, job_words

_EXTENTS_FILE = Path(__file__).with_name("span_extents.json")


@dataclass(frozen=True)
class _Extents:
    """How far a span reaches (head/span_extents.json), compiled once."""

    whole_run: frozenset  # types written without spaces: the whole run of non-space characters
    numeric_run: re.Pattern  # a run of figures and separators, which a span of any type covers whole
    figures: str  # the characters of such a run: figures and separators
    breakers: str  # non-space characters that end a run anyway
    colon_inside: frozenset  # types whose runs go on through ':'
    comma_breaks: frozenset  # types whose values never hold a comma: one ends their run
    one_run: dict  # label -> characters its values hold: types whose values never hold a space
    code_symbols: str  # inside a run, they make it a code whatever the span's type
    sentence_end: str
    sentence_start: str
    sigils: dict  # label -> characters before a value that are not the value ("@" of "@jdoe")
    right: dict  # label -> [(pattern matched at the span's end, pattern its text must match or None)]
    left: dict  # label -> [(pattern matched just before the span's start, pattern its text must match or None)]
    becomes: dict  # label -> [(label it takes where that label's first right pattern follows it, pattern its text must match or None)]
    join: re.Pattern  # two spans of one type with this between them (and a character either side) become one
    join_by_type: dict  # label -> pattern of the first span and what follows, up to the second's first character
    handle_labels: frozenset  # names that, written without a space ("ivah.christiansen"), are one handle
    handle_joiners: str  # what may stand between two names of one handle
    handle_label: str  # the type of that handle
    title_word: re.Pattern
    title_labels: tuple  # (label of the first of two words, label of the last)
    name_labels: frozenset  # labels of a person's names: a lone FIRSTNAME after a title is a surname only beside none
    titles_before: re.Pattern  # titles no span covers, ending right before a name ("MM. ", "Lord Justice ")
    titles: frozenset  # those titles, one word each
    titled_item: re.Pattern  # a list item that starts with a title or an initial, glued or not ("MmeH. Jäderblom")
    initial: re.Pattern  # an initial right before a name ("I. " of "I. Cabral")
    initial_label: str  # the type of such an initial
    function_words: frozenset  # lower-case words that are never a value alone ("le", "Selon", "at")
    lower_case_words: frozenset  # the same, only as written in lower case ("it", not "IT")
    particles: frozenset  # function words that open a surname ("Le Lopes", "van Dijk")
    greetings: frozenset  # words that open a message, never a person's name alone ("Salut", "Hey")
    alone: dict  # label -> pattern of what is never a value of that type on its own (a weekday alone)
    single_letter_labels: frozenset  # the only types a lone letter may be (an initial, "Bât. B")
    job_label: str  # the type whose spans in lower case must name a job
    job_nouns: frozenset  # the words that name a job, both genders, singular and plural ("directrice", "juges")
    job_roles: frozenset  # a named person's role in a proceeding, no job title alone ("conseil", "déléguées")
    beside: dict  # label -> (label of figures beside it, pattern just before its start, pattern at its end)


def _load_extents(path: Path = _EXTENTS_FILE) -> _Extents:
    data = json.loads(path.read_text(encoding="utf-8"))
    run, titles = data["whole_run"], data["after_title"]["titles"].split()
    names = {"<MONTH>": "|".join(months("fr") + months("en")), "<WEEKDAY>": "|".join(weekdays("fr") + weekdays("en")),
             "<JOB_DESCRIPTOR>": "|".join(map(re.escape, job_words()["en descriptor"]))}

    def compiled(pattern: str) -> re.Pattern:  # <MONTH>, <WEEKDAY>, <JOB_DESCRIPTOR>: the names they stand for
        return re.compile(re.sub("|".join(names), lambda m: names[m.group()], pattern))

    def entry(item) -> tuple:
        if isinstance(item, str):
            return compiled(item), None
        return compiled(item["pattern"]), compiled(item["when"])

    def patterns(section: dict) -> dict:
        return {label: [entry(p) for p in items] for label, items in section.items() if not label.startswith("_")}

    title_alternation = "|".join(re.escape(title) for title in sorted(titles, key=len, reverse=True))
    return _Extents(
        whole_run=frozenset(run["labels"]), numeric_run=re.compile(run["numeric_run"]), figures=run["figures"],
        breakers=run["breakers"],
        colon_inside=frozenset(run["colon_inside"]), comma_breaks=frozenset(run["comma_breaks"]),
        one_run=dict(run["one_run"]), code_symbols=run["code_symbols"],
        sentence_end=run["sentence_end"], sentence_start=run["sentence_start"], sigils=run["sigils"],
        right=patterns(data["right"]), left=patterns(data["left"]),
        becomes={label: [(item, None) if isinstance(item, str) else (item["label"], compiled(item["when"]))
                         for item in targets] for label, targets in data["becomes"].items() if not label.startswith("_")},
        join=re.compile(data["join"]["pattern"]),
        join_by_type={label: compiled(p) for label, p in data["join"]["by_type"].items()},
        handle_labels=frozenset(data["handle"]["labels"]), handle_joiners=data["handle"]["joiners"],
        handle_label=data["handle"]["label"],
        title_word=re.compile(data["after_title"]["word"]), title_labels=tuple(data["after_title"]["labels"]),
        name_labels=frozenset(data["after_title"]["name_labels"]),
        titles_before=re.compile(r"(?<![\w.])(?:(?:%s) +)+$" % title_alternation),
        titled_item=re.compile(r"(?:%s|[A-ZÀ-ÖØ-Þ]\.)(?=[\s.A-ZÀ-ÖØ-Þ]|$)" % title_alternation),
        titles=frozenset(titles), initial=re.compile(data["after_title"]["initial"]),
        initial_label=data["after_title"]["initial_label"],
        function_words=frozenset(data["no_value"]["function_words"].split()),
        lower_case_words=frozenset(data["no_value"]["lower_case_words"].split()),
        particles=frozenset(data["no_value"]["particles"].split()),
        greetings=frozenset(data["no_value"]["greetings"].split()),
        alone={label: compiled(p) for label, p in data["no_value"]["alone"].items()},
        single_letter_labels=frozenset(data["no_value"]["single_letter_labels"]),
        job_label=data["job"]["label"],
        job_nouns=_inflected(_job_nouns(data), data["job"]["feminine"], data["job"]["plural"]),
        job_roles=_inflected(set(data["job"]["roles"].split()), data["job"]["feminine"], data["job"]["plural"]),
        beside={label: (rule["label"], re.compile(rule["before"]), re.compile(rule["after"]))
                for label, rule in data["beside"].items() if not label.startswith("_")})


def _job_nouns(data: dict) -> set[str]:
    """The corpus's job nouns and the JSON's, less the function words a French title's words bring
    in ("les", "dans"): a span of those names no job."""
    no_value = data["no_value"]
    return ((job_nouns() | set(data["job"]["nouns"].split()))
            - set(no_value["function_words"].split()) - set(no_value["lower_case_words"].split()))


def _inflected(nouns: set[str], feminine: str, plural: str) -> frozenset[str]:
    """`nouns`, their feminine forms and every form's plurals (`feminine`, `plural`: endings, "eur>rice"
    replaces one, "s" adds one)."""
    singular = nouns | _with_endings(nouns, feminine)
    return frozenset(singular | _with_endings(singular, plural))


def _with_endings(words: set[str], endings: str) -> set[str]:
    pairs = [ending.split(">") if ">" in ending else ("", ending) for ending in endings.split()]
    return {word[:len(word) - len(old)] + new for word in words for old, new in pairs if word.endswith(old)}


EXTENTS = _load_extents()
