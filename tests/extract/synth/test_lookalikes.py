"""Look-alikes (extract/synth/lookalikes.py) and texts without PII: numbers, codes and words that
resemble PII occur often and are never labelled."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from tests.extract.synth.conftest import by_language

LOOK_ALIKES = {
    "order code": r"\bORD-\d{4}-\d{5}\b",
    "invoice": r"\bINV-\d+",
    "ticket": r"\bTCK-\d+|(?<![\w#$&*@+=!?-])#\d{5}\b",  # not the '#' inside a password
    "version": r"\bv\d+\.\d+(\.\d+)?\b",
    "percentage": r"\b\d+ ?%",
    "HTTP status": r"\bHTTP \d{3}\b",
    "error code": r"\bE\d{4}\b(?!@)|\bERR-\d+",  # not an e-mail local part "E5961@"
    "room": r"\b(room|salle) [A-Z]?\d+",
    "count": r"\b\d+ (items?|articles?|users|utilisateurs)\b",
    "page": r"\bpage \d+ (of|sur) \d+",
}

VALUE_LOOK_ALIKES = {
    # not a phone "+38.10.4522.8448" nor "002.300.8113.1305"
    "build": r"(?<![+\w.])(?!00)(10\.0\.\d{5}\.\d+|v?\d+\.\d+\.\d+\.\d{4})\b",
    "count with suffix": r"\b\d+([.,]\d)? ?[kKmM] (views|vues|shares|partages)\b",
    "barcode": r"(?<=\()\d{13}(?=\))",  # "(4006381333931)"; a 13-digit identity number (Romania) is no barcode
    "serial": r"\bS/?N[- ]?(?=[A-Z]*\d)[0-9A-Z]{8,12}\b",  # not a Dutch postcode and its town "1012 SN HEEMSTEDE"
    "quarter": r"\b[QT][1-4] \d{4}\b",
}


def unlabelled_matches(records, pattern: str) -> Counter:
    """Matches of `pattern` per language, each asserted to overlap no span."""
    found = Counter()
    for record in records:
        for match in re.finditer(pattern, record.text):
            found[record.language] += 1
            for span in record.spans:
                assert match.end() <= span.start or span.end <= match.start(), \
                    (record.id, match.group(), record.text[span.start:span.end], span.label)
    return found


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("name", sorted(LOOK_ALIKES))
def test_look_alikes_occur_and_stay_unlabelled(big_corpus, language, name):
    assert unlabelled_matches(by_language(big_corpus, language), LOOK_ALIKES[name])[language] >= 5


@pytest.mark.parametrize("name", sorted(VALUE_LOOK_ALIKES))
def test_value_look_alikes_occur_and_stay_unlabelled(big_corpus, name):
    found = unlabelled_matches(big_corpus, VALUE_LOOK_ALIKES[name])
    assert found["en"] >= 3 and found["fr"] >= 3, found  # one English template writes "(barcode)"


def test_texts_without_pii_still_hold_look_alikes(corpus):
    empty = [r.text for r in corpus if not r.spans]
    assert empty
    assert sum(bool(re.search(r"\d", text)) for text in empty) >= 0.9 * len(empty)


def test_public_agencies_are_not_labelled(corpus):
    agencies = re.compile(r"\b(CAF|URSSAF|Pôle emploi|France Travail|CPAM|HMRC|IRS|DMV|NHS)\b")
    assert sum(bool(agencies.search(r.text)) for r in corpus) >= 20
    for record in corpus:
        for span in record.spans:
            assert not agencies.search(record.text[span.start:span.end]), record.id


def test_ordinary_words_from_the_issue_stay_unlabelled(corpus):
    """The words a head trained on forms alone tags ("What", "My", "radio", "songwriters", "masterpiece")
    occur in texts without PII, in both languages."""
    plain = {language: " ".join(r.text for r in by_language(corpus, language) if not r.spans) for language in ("en", "fr")}
    for word in ("What", "My", "Your", "Please", "radio", "songwriters", "masterpiece", "nurse", "Rose", "baker"):
        assert re.search(rf"\b{word}\b", plain["en"]), word
    for word in ("Quel", "Mon", "Votre", "radio", "chef-d'œuvre", "pierre", "boulanger", "martin-pêcheur", "Claire"):
        assert re.search(rf"(?<!\w){word}(?!\w)", plain["fr"]), word
    assert sum(1 for r in corpus if not r.spans and len(r.text.split()) >= 60) >= 100  # prose, not one-liners


def test_countries_and_apps_beside_values_stay_unlabelled(corpus):
    from extract.synth.work import apps

    words = re.compile(r"\b(United Kingdom|Royaume-Uni|United States|États-Unis|"
                       + "|".join(re.escape(app) for app in apps()) + r")\b")
    found = Counter()
    for record in corpus:
        if not record.spans:
            continue
        for match in words.finditer(record.text):
            found[record.language] += 1
            for span in record.spans:
                assert match.end() <= span.start or span.end <= match.start(), (record.id, match.group())
    assert found["en"] >= 5 and found["fr"] >= 5, found


def test_verbs_opening_a_line_stay_unlabelled(corpus):
    """"Call Mary on 555-...", "Appelle Marie au 06 ...": the verb is an ordinary word, what follows is labelled."""
    verbs = re.compile(r"(?:^|\n|: |- )(Call|Email|Text|Ring|Message|Sign|Change|Appelle|Appeler|Envoie|Envoyer|Écris|"
                       r"Écrire|Rappelle|Signer|Changer) ")
    found = Counter()
    for record in corpus:
        for match in verbs.finditer(record.text):
            verb = match.span(1)
            assert not any(s.start < verb[1] and verb[0] < s.end for s in record.spans), (record.id, match.group(1))
            if any(s.start == match.end() for s in record.spans):  # "Call {FIRSTNAME}", "Email {EMAIL}"
                found[record.language] += 1
    assert found["en"] >= 5 and found["fr"] >= 5, found
