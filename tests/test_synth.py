"""The synthetic corpus: deterministic, exactly labelled, locale-correct, readable by `read_corpus`."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from extract.records import ReadReport, read_corpus
from extract.synth import LABELS, TEMPLATE_COUNTS, SynthConfig, generate, generate_with_templates, write_corpus


@pytest.fixture(scope="module")
def corpus():
    """The default corpus (500 + 500), generated once for the module."""
    return generate(SynthConfig())


def by_language(records, language):
    return [r for r in records if r.language == language]


def span_texts(records, label):
    return [r.text[s.start:s.end] for r in records for s in r.spans if s.label == label]


# --- determinism and counts -----------------------------------------------------------------

def test_same_seed_gives_byte_identical_files(tmp_path):
    config = SynthConfig(n_english=60, n_french=60, seed=3)
    first, second = generate(config), generate(config)
    assert first == second
    paths_a = write_corpus(first, tmp_path / "a")
    paths_b = write_corpus(second, tmp_path / "b")
    assert [p.read_bytes() for p in paths_a] == [p.read_bytes() for p in paths_b]


def test_different_seed_gives_different_texts():
    a = generate(SynthConfig(n_english=30, n_french=30, seed=1))
    b = generate(SynthConfig(n_english=30, n_french=30, seed=2))
    assert [r.text for r in a] != [r.text for r in b]
    assert len({r.text for r in a} & {r.text for r in b}) < 5


def test_languages_are_independent_of_each_other():
    # Asking for more French texts must not change the English ones.
    a = generate(SynthConfig(n_english=40, n_french=10))
    b = generate(SynthConfig(n_english=40, n_french=80))
    assert by_language(a, "en") == by_language(b, "en")


@pytest.mark.parametrize("n_en, n_fr", [(0, 7), (13, 0), (120, 45)])
def test_exact_counts_and_ids_per_language(n_en, n_fr):
    records = generate(SynthConfig(n_english=n_en, n_french=n_fr))
    assert len(by_language(records, "en")) == n_en
    assert len(by_language(records, "fr")) == n_fr
    assert len(records) == n_en + n_fr
    assert all(re.fullmatch(r"synth-(en|fr)-\d{6}", r.id) and r.id[6:8] == r.language for r in records)
    assert len({r.id for r in records}) == len(records)


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.35, 1.0])
def test_no_pii_share_matches_config(fraction):
    records = generate(SynthConfig(n_english=200, n_french=150, no_pii_fraction=fraction))
    for language, n in (("en", 200), ("fr", 150)):
        without = sum(1 for r in by_language(records, language) if not r.spans)
        assert without == round(n * fraction)


def test_texts_without_pii_still_hold_look_alikes(corpus):
    empty = [r.text for r in corpus if not r.spans]
    assert empty
    assert sum(bool(re.search(r"\d", text)) for text in empty) >= 0.9 * len(empty)


@pytest.mark.parametrize("config", [
    SynthConfig(n_english=-1), SynthConfig(n_french=-5), SynthConfig(no_pii_fraction=-0.1),
    SynthConfig(no_pii_fraction=1.5), SynthConfig(n_english=2.5), SynthConfig(no_pii_fraction=float("nan")),
])
def test_invalid_config_raises_value_error(config):
    with pytest.raises(ValueError, match="n_english|n_french|no_pii_fraction"):
        generate(config)


# --- variety --------------------------------------------------------------------------------

def test_templates_are_many_and_all_used():
    assert set(TEMPLATE_COUNTS) == {"en", "fr"}
    assert all(count >= 40 for count in TEMPLATE_COUNTS.values())
    tagged = generate_with_templates(SynthConfig(n_english=1000, n_french=1000))
    for language in ("en", "fr"):
        with_pii = {template for record, template in tagged if record.language == language and record.spans}
        used = {template for record, template in tagged if record.language == language}
        assert len(with_pii) >= 40
        assert len(used) == TEMPLATE_COUNTS[language]
        assert all(template.startswith(f"{language}-") for template in used)


def test_texts_vary_in_length_and_layout(corpus):
    words = [len(r.text.split()) for r in corpus]
    assert min(words) >= 10
    assert sum(15 <= n <= 120 for n in words) >= 0.8 * len(words)
    assert sum(n >= 200 for n in words) >= 5  # a few long letters
    assert sum("\n" not in r.text for r in corpus) >= 0.2 * len(corpus)  # one-line messages
    assert sum(r.text.count("\n") >= 5 for r in corpus) >= 0.2 * len(corpus)  # forms, logs, letters
    assert len({r.text for r in corpus}) == len(corpus)


# --- labels and spans -----------------------------------------------------------------------

def test_label_set_is_the_28_ai4privacy_labels():
    assert len(LABELS) == 28 == len(set(LABELS))


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_label_occurs_in_each_language(corpus, language):
    counts = Counter(s.label for r in by_language(corpus, language) for s in r.spans)
    assert set(counts) == set(LABELS)


def test_spans_are_clean(corpus):
    for record in corpus:
        for span in record.spans:
            value = record.text[span.start:span.end]
            assert value and value == value.strip(), (record.id, value)
            assert value[0] not in "\"'«»,;:!?.)]", (record.id, span.label, value)
            if span.label == "PREFIX" or (span.label == "MIDDLENAME" and re.fullmatch(r"[A-Z]\.", value)):
                continue  # "Mr.", "Dr.", "M.", a middle initial "J.": the period is part of them
            assert value[-1] not in ",.;:!?)]\"'»", (record.id, span.label, value)


def test_spans_are_sorted_and_never_overlap(corpus):
    for record in corpus:
        for previous, current in zip(record.spans, record.spans[1:]):
            assert previous.end <= current.start, record.id


def test_round_trip_through_read_corpus(tmp_path, corpus):
    paths = write_corpus(corpus, tmp_path)
    assert [p.name for p in paths] == ["english_synthetic.jsonl", "french_synthetic.jsonl"]
    report = ReadReport()
    back = [record for path in paths for record in read_corpus(path, report=report)]
    assert back == corpus
    assert report.trimmed_spans == 0 and report.skipped == 0
    assert report.formats == Counter({"ai4privacy": len(corpus)})


def test_write_corpus_writes_only_languages_present(tmp_path):
    paths = write_corpus(generate(SynthConfig(n_english=0, n_french=5)), tmp_path)
    assert [p.name for p in paths] == ["french_synthetic.jsonl"]
    assert not (tmp_path / "english_synthetic.jsonl").exists()


def test_emails_and_usernames_come_from_the_persons_name(corpus):
    def ascii_lower(text):
        import unicodedata
        return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()

    matched = total = 0
    for record in corpus:
        lastnames = [re.sub(r"[^a-z]", "", ascii_lower(v)) for v in span_texts([record], "LASTNAME")]
        for value in span_texts([record], "EMAIL") + span_texts([record], "USERNAME"):
            if lastnames:
                total += 1
                matched += any(name and name in re.sub(r"[^a-z]", "", value.lower()) for name in lastnames)
    assert matched >= 0.6 * total


def test_timestamps_are_a_date_and_a_time(corpus):
    pairs = 0
    for record in corpus:
        for a, b in zip(record.spans, record.spans[1:]):
            if a.label == "DATE" and b.label == "TIME" and record.text[a.end:b.start] in (" ", "T"):
                pairs += 1
    assert pairs >= 50


def test_public_agencies_are_not_labelled(corpus):
    agencies = re.compile(r"\b(CAF|URSSAF|Pôle emploi|France Travail|CPAM|HMRC|IRS|DMV|NHS)\b")
    assert sum(bool(agencies.search(r.text)) for r in corpus) >= 20
    for record in corpus:
        for span in record.spans:
            assert not agencies.search(record.text[span.start:span.end]), record.id


# --- money and ages -------------------------------------------------------------------------

def test_amounts_are_numbers_without_currency(corpus):
    en, fr = span_texts(by_language(corpus, "en"), "AMOUNT"), span_texts(by_language(corpus, "fr"), "AMOUNT")
    assert all(re.fullmatch(r"\d{1,3}(,\d{3})*(\.\d{2})?", v) for v in en), en
    assert all(re.fullmatch(r"\d{1,3}( \d{3})*(,\d{2})?", v) for v in fr), fr
    for value in en + fr:
        assert not re.search(r"[$£€]|USD|EUR|GBP|euro", value)
    # ... and the currency is there, right outside the span
    for record in corpus:
        for span in record.spans:
            if span.label == "AMOUNT":
                around = record.text[max(0, span.start - 4):span.end + 6]
                assert re.search(r"[$£€]|USD|EUR|GBP|euros", around), (record.id, around)


def test_french_amount_forms(corpus):
    texts = " ".join(r.text for r in by_language(corpus, "fr"))
    assert re.search(r"\d \d{3},\d{2} €", texts)  # 1 234,56 €
    assert re.search(r"\b\d+ €", texts)  # 250 €
    assert re.search(r"EUR \d+,\d{2}", texts)  # EUR 99,90


def test_english_amount_forms(corpus):
    texts = " ".join(r.text for r in by_language(corpus, "en"))
    assert re.search(r"\$\d{1,3},\d{3}\.\d{2}", texts)
    assert re.search(r"£\d+", texts)
    assert re.search(r"USD \d[\d,]*\.\d{2}", texts)


def test_ages_are_digits_only(corpus):
    ages = span_texts(corpus, "AGE")
    assert ages and all(re.fullmatch(r"\d{1,3}", age) and 0 < int(age) < 110 for age in ages)
    texts = " ".join(r.text for r in corpus)
    assert re.search(r"\d+ ans\b", texts) and re.search(r"\baged \d+", texts)


# --- locale formats -------------------------------------------------------------------------

FR_PHONE = re.compile(r"0[1-9]( \d\d){4}|0[1-9](\.\d\d){4}|0[1-9]\d{8}|\+33 [1-9]( \d\d){4}")
US_PHONE = re.compile(r"\(\d{3}\) \d{3}-\d{4}|\d{3}-\d{3}-\d{4}|\+1 \d{3} \d{3} \d{4}|\d{3}\.\d{3}\.\d{4}")
UK_PHONE = re.compile(r"(\+44 |0)(7\d{3} \d{6}|20 \d{4} \d{4}|1\d\d \d{3} \d{4})")
UK_POSTCODE = re.compile(r"[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}")
FR_MONTHS = "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"


def iban_is_valid(iban: str) -> bool:
    compact = iban.replace(" ", "")
    return int("".join(str(int(c, 36)) for c in compact[4:] + compact[:4])) % 97 == 1


def test_french_phones_ibans_postcodes_dates(corpus):
    fr = by_language(corpus, "fr")
    phones = span_texts(fr, "PHONENUMBER")
    assert all(FR_PHONE.fullmatch(p) for p in phones), [p for p in phones if not FR_PHONE.fullmatch(p)]
    for form in (r"0\d( \d\d){4}", r"\+33 \d( \d\d){4}", r"0\d(\.\d\d){4}"):
        assert any(re.fullmatch(form, p) for p in phones), form
    ibans = span_texts(fr, "IBAN")
    assert all(i.startswith("FR76") and iban_is_valid(i) for i in ibans)
    assert any(" " in i for i in ibans) and any(" " not in i for i in ibans)  # grouped and compact
    assert all(re.fullmatch(r"\d{5}", z) for z in span_texts(fr, "ZIPCODE"))
    dates = span_texts(fr, "DATE")
    assert any(re.fullmatch(rf"(1er|\d{{1,2}}) ({FR_MONTHS}) \d{{4}}", d) for d in dates)  # 3 mars 2024
    assert any(re.fullmatch(rf"(1er|\d{{1,2}}) ({FR_MONTHS})", d) for d in dates)  # le 3 mars
    assert any(re.fullmatch(r"\d\d/\d\d/\d{4}", d) for d in dates)
    assert any(re.search(r"\d{1,2}h(\d\d)?$", t) for t in span_texts(fr, "TIME"))  # 14h30


def test_french_social_security_numbers_have_a_valid_key(corpus):
    nirs = span_texts(by_language(corpus, "fr"), "SSN")
    assert nirs
    for nir in nirs:
        assert re.fullmatch(r"[12] \d\d \d\d \d\d \d{3} \d{3} \d\d|[12]\d{14}", nir), nir
        digits = nir.replace(" ", "")
        assert 97 - int(digits[:13]) % 97 == int(digits[13:]), nir
    assert any(" " in n for n in nirs) and any(" " not in n for n in nirs)


def test_english_phones_ssns_postcodes_dates(corpus):
    en = by_language(corpus, "en")
    phones = span_texts(en, "PHONENUMBER")
    assert all(US_PHONE.fullmatch(p) or UK_PHONE.fullmatch(p) for p in phones), \
        [p for p in phones if not (US_PHONE.fullmatch(p) or UK_PHONE.fullmatch(p))]
    assert any(p.startswith("(") for p in phones) and any(p.startswith("+44 ") for p in phones)
    ssns = span_texts(en, "SSN")
    us_ssn = [s for s in ssns if re.fullmatch(r"\d{3}-\d{2}-\d{4}", s)]
    uk_nino = [s for s in ssns if re.fullmatch(r"[A-Z]{2} ?\d\d ?\d\d ?\d\d ?[A-D]", s)]
    assert us_ssn and uk_nino
    assert all(re.fullmatch(r"\d{3}-?\d{2}-?\d{4}|[A-Z]{2} ?\d\d ?\d\d ?\d\d ?[A-D]", s) for s in ssns)
    zips = span_texts(en, "ZIPCODE")
    assert any(UK_POSTCODE.fullmatch(z) for z in zips)
    assert any(re.fullmatch(r"\d{5}", z) for z in zips) and any(re.fullmatch(r"\d{5}-\d{4}", z) for z in zips)
    assert all(UK_POSTCODE.fullmatch(z) or re.fullmatch(r"\d{5}(-\d{4})?", z) for z in zips)
    dates = span_texts(en, "DATE")
    us_long, numeric, iso = r"[A-Z][a-z]+ \d{1,2}, \d{4}", r"\d\d/\d\d/\d{4}", r"\d{4}-\d\d-\d\d"
    for form in (us_long, numeric, iso, r"\d{1,2}(st|nd|rd|th) [A-Z][a-z]+ \d{4}"):
        assert any(re.fullmatch(form, d) for d in dates), form
    assert all(iban_is_valid(i) for i in span_texts(en, "IBAN"))


def test_address_parts_are_separate_spans(corpus):
    for record in corpus:
        for a, b in zip(record.spans, record.spans[1:]):
            if a.label == "BUILDINGNUMBER":  # "12 rue de la Paix": number and street apart
                assert b.label == "STREET", record.id
    secondary = span_texts(corpus, "SECONDARYADDRESS")
    assert any(s.startswith("Apt") for s in secondary) and any(s.startswith("Bât") for s in secondary)
    assert any(s.startswith("Flat") for s in secondary)
    assert any(re.fullmatch(r"[A-Z]{2}", s) for s in span_texts(corpus, "STATE"))  # TX, CA


# --- look-alikes ----------------------------------------------------------------------------

LOOK_ALIKES = {
    "order code": r"\bORD-\d{4}-\d{5}\b",
    "invoice": r"\bINV-\d+",
    "ticket": r"\bTCK-\d+|(?<![\w#$&*@+=!?-])#\d{5}\b",  # not the '#' inside a password
    "version": r"\bv\d+\.\d+(\.\d+)?\b",
    "percentage": r"\b\d+ ?%",
    "HTTP status": r"\bHTTP \d{3}\b",
    "error code": r"\bE\d{4}\b|\bERR-\d+",
    "room": r"\b(room|salle) [A-Z]?\d+",
    "count": r"\b\d+ (items?|articles?|users|utilisateurs)\b",
    "page": r"\bpage \d+ (of|sur) \d+",
}


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("name", sorted(LOOK_ALIKES))
def test_look_alikes_occur_and_stay_unlabelled(corpus, language, name):
    pattern = re.compile(LOOK_ALIKES[name])
    found = 0
    for record in by_language(corpus, language):
        for match in pattern.finditer(record.text):
            found += 1
            for span in record.spans:
                assert match.end() <= span.start or span.end <= match.start(), \
                    (record.id, match.group(), record.text[span.start:span.end], span.label)
    assert found >= 5
