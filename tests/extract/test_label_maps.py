"""Label maps: each AI4Privacy version's rows read and mapped, ignored regions, rules, bad map files.

Rows are hand-made in each release's documented shape and parsed by the project's reader first.
Set PII_TAGGER_REAL_DATA to a folder of real AI4Privacy rows to also check the maps against them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from extract.errors import MissingInputError, PiiTaggerError
from extract.label_maps import (BUILTIN_MAPS, RULES, LabelMap, LabelMapError, UnknownLabelError,
                                load_label_map)
from extract.records import Record, Span, parse_line
from extract.schema import LABELS


def masked(text: str, parts: list[tuple[str, str]]) -> list[dict]:
    """privacy_mask entries for values found left to right in `text` (offsets computed, never typed)."""
    entries, cursor = [], 0
    for value, label in parts:
        start = text.index(value, cursor)
        cursor = start + len(value)
        entries.append({"value": value, "start": start, "end": cursor, "label": label})
    return entries


def read_row(row: dict) -> Record:
    record, _, _ = parse_line(json.dumps(row), default_id="row:1", default_language=None)
    return record


def labelled(record: Record) -> list[tuple[str, str]]:
    return [(record.text[s.start:s.end], s.label) for s in record.spans]


def ignored_text(record: Record) -> list[str]:
    return [record.text[start:end] for start, end in record.ignored]


def still_valid(record: Record) -> Record:
    """The mapped record written and read back by the strict generic reader (bounds, overlaps, ignored)."""
    again = read_row(record.to_json())
    assert (again.spans, again.ignored) == (record.spans, record.ignored)
    return again


# --- pii-masking-200k -------------------------------------------------------------------------

TEXT_200K = ("Dear Ms. Kianna London Barrows, Shiloh asked about 10.0.0.7 and fe80::1 on 12/03/1990; "
             "a Female patient paid $250 at 14:05.")
PARTS_200K = [("Ms.", "PREFIX_1"), ("Kianna", "FIRSTNAME_1"), ("London", "MIDDLENAME_1"), ("Barrows", "LASTNAME_1"),
              ("Shiloh", "MIDDLENAME_2"), ("10.0.0.7", "IP_1"), ("fe80::1", "IP_2"), ("12/03/1990", "DOB_1"),
              ("Female", "GENDER_1"), ("$", "CURRENCYSYMBOL_1"), ("250", "AMOUNT_1"), ("14:05", "TIME_1")]
EXPECTED_200K = [("Ms.", "PREFIX"), ("Kianna", "FIRSTNAME"), ("London", "MIDDLENAME"), ("Barrows", "LASTNAME"),
                 ("10.0.0.7", "IPV4"), ("fe80::1", "IPV6"), ("12/03/1990", "DATE"), ("250", "AMOUNT"),
                 ("14:05", "TIME")]


def test_200k_unmasked_text_with_span_labels_string():
    spans = [[e["start"], e["end"], e["label"]] for e in masked(TEXT_200K, PARTS_200K)]
    row = {"masked_text": "…", "unmasked_text": TEXT_200K, "language": "en",
           "span_labels": repr([[0, spans[0][0], "O"]] + spans)}
    mapped = load_label_map("ai4privacy-200k").apply(read_row(row))
    assert labelled(mapped) == EXPECTED_200K
    # A lone MIDDLENAME (a unisex first name in 200k), a gender and a currency sign: ignored, not guessed.
    assert ignored_text(mapped) == ["Shiloh", "Female", "$"]
    still_valid(mapped)


def test_200k_source_text_with_privacy_mask_gives_the_same_record():
    row = {"source_text": TEXT_200K, "language": "English", "privacy_mask": masked(TEXT_200K, PARTS_200K)}
    mapped = load_label_map("ai4privacy-200k").apply(read_row(row))
    assert labelled(mapped) == EXPECTED_200K
    assert ignored_text(mapped) == ["Shiloh", "Female", "$"]


def test_200k_county_is_state_and_job_words_are_ignored():
    text = "Our Developer in the Quality team moved to Leicestershire."
    row = {"source_text": text, "language": "en", "privacy_mask": masked(
        text, [("Developer", "JOBTYPE"), ("Quality", "JOBAREA"), ("Leicestershire", "COUNTY")])}
    mapped = load_label_map("ai4privacy-200k").apply(read_row(row))
    assert labelled(mapped) == [("Leicestershire", "STATE")]
    assert ignored_text(mapped) == ["Developer", "Quality"]


# --- pii-masking-300k -------------------------------------------------------------------------

TEXT_300K = ("Patient: Dr. María José García López, born 1984-02-11, tel +34 612 345 678, ID 12345678Z. "
             "José will call back.")


def row_300k() -> dict:
    mask = masked(TEXT_300K, [("Dr.", "TITLE"), ("María", "GIVENNAME1"), ("José", "GIVENNAME2"),
                              ("García", "LASTNAME1"), ("López", "LASTNAME2"), ("1984-02-11", "BOD"),
                              ("+34 612 345 678", "TEL"), ("12345678Z", "IDCARD"), ("José", "GIVENNAME2")])
    return {"source_text": TEXT_300K, "target_text": "…", "privacy_mask": mask, "span_labels": "[]",
            "mbert_text_tokens": [], "mbert_bio_labels": [], "id": 40767, "language": "Spanish", "set": "train"}


def test_300k_numbered_name_labels_map_and_adjacent_surnames_stay_apart():
    row = row_300k()
    row["language"] = "English"  # the project reads English and French only; the labels are what is tested
    mapped = load_label_map("ai4privacy-300k").apply(read_row(row))
    assert labelled(mapped) == [("Dr.", "PREFIX"), ("María", "FIRSTNAME"), ("José", "MIDDLENAME"),
                                ("García", "LASTNAME"), ("López", "LASTNAME"), ("1984-02-11", "DATE"),
                                ("+34 612 345 678", "PHONENUMBER")]
    # The identity card number has no counterpart; the second given name alone has no known role.
    assert ignored_text(mapped) == ["12345678Z", "José"]
    still_valid(mapped)


# --- pii-masking-400k and open-pii-masking-500k -------------------------------------------------

def test_400k_given_names_accounts_and_birth_dates():
    text = ("Anna Maria Schmidt (username aschmidt, born 02.05.1979) pays from GB82 WEST 1234 5698 7654 32 "
            "and account 00451234; tax ID 12/345/67890.\nAnna\nMaria")
    row = {"source_text": text, "masked_text": "…", "language": "en", "region": "GB", "script": "Latn",
           "split": "train", "uid": 7, "mbert_tokens": [], "mbert_token_classes": [],
           "privacy_mask": masked(text, [("Anna", "GIVENNAME"), ("Maria", "GIVENNAME"), ("Schmidt", "SURNAME"),
                                         ("aschmidt", "USERNAME"), ("02.05.1979", "DATEOFBIRTH"),
                                         ("GB82 WEST 1234 5698 7654 32", "ACCOUNTNUM"), ("00451234", "ACCOUNTNUM"),
                                         ("12/345/67890", "TAXNUM"), ("Anna", "GIVENNAME"), ("Maria", "GIVENNAME")])}
    mapped = load_label_map("ai4privacy-400k").apply(read_row(row))
    assert labelled(mapped) == [("Anna", "FIRSTNAME"), ("Maria", "MIDDLENAME"), ("Schmidt", "LASTNAME"),
                                ("aschmidt", "USERNAME"), ("02.05.1979", "DATE"),
                                ("GB82 WEST 1234 5698 7654 32", "IBAN"), ("00451234", "ACCOUNTNUMBER"),
                                ("Anna", "FIRSTNAME"), ("Maria", "FIRSTNAME")]  # one name per line: two people
    assert ignored_text(mapped) == ["12/345/67890"]
    still_valid(mapped)


def test_500k_french_row():
    text = "Mme Camille Durand, 34 ans, femme, passeport 12AB34567, joignable au 06 12 34 56 78 à 9h30."
    row = {"source_text": text, "masked_text": "…", "language": "fr", "region": "FR", "script": "Latn",
           "privacy_mask": masked(text, [("Mme", "TITLE"), ("Camille", "GIVENNAME"), ("Durand", "SURNAME"),
                                         ("34", "AGE"), ("femme", "SEX"), ("12AB34567", "PASSPORTNUM"),
                                         ("06 12 34 56 78", "TELEPHONENUM"), ("9h30", "TIME")])}
    for name in ("ai4privacy-500k", "open-pii-masking-500k"):
        mapped = load_label_map(name).apply(read_row(row))
        assert labelled(mapped) == [("Mme", "PREFIX"), ("Camille", "FIRSTNAME"), ("Durand", "LASTNAME"),
                                    ("34", "AGE"), ("06 12 34 56 78", "PHONENUMBER"), ("9h30", "TIME")]
        assert ignored_text(mapped) == ["femme", "12AB34567"]
        assert mapped.language == "fr" and mapped.text == text


# --- unknown labels and existing ignored regions --------------------------------------------------

def record_with(labels: list[tuple[str, str]], text: str = "Hello Ana Lee, card 4111 1111 1111 1111") -> Record:
    return read_row({"text": text, "language": "en", "spans": [
        {"start": e["start"], "end": e["end"], "label": e["label"]} for e in masked(text, labels)]})


def test_a_label_without_decision_is_an_error_naming_it():
    record = record_with([("Ana", "FIRSTNAME"), ("4111 1111 1111 1111", "CARD_PAN")])
    with pytest.raises(UnknownLabelError, match="'CARD_PAN'.*ai4privacy-200k") as caught:
        load_label_map("ai4privacy-200k").apply(record)
    assert isinstance(caught.value, PiiTaggerError) and caught.value.label == "CARD_PAN"


def test_unknown_labels_ignored_or_kept_when_the_map_says_so():
    record = record_with([("Ana", "FIRSTNAME"), ("4111 1111 1111 1111", "CARD_PAN")])
    ignoring = LabelMap("mine", {"FIRSTNAME": "FIRSTNAME"}, unknown="ignore")
    keeping = LabelMap("mine", {"FIRSTNAME": "FIRSTNAME"}, unknown="keep")
    assert labelled(ignoring.apply(record)) == [("Ana", "FIRSTNAME")]
    assert ignored_text(ignoring.apply(record)) == ["4111 1111 1111 1111"]
    assert labelled(keeping.apply(record)) == [("Ana", "FIRSTNAME"), ("4111 1111 1111 1111", "CARD_PAN")]


def test_ignored_regions_already_in_the_record_are_kept_in_order():
    text = "Hello Ana Lee, card 4111 1111 1111 1111"
    record = read_row({"text": text, "language": "en", "ignored": [[0, 5]],
                       "spans": [{"start": 10, "end": 13, "label": "GENDER"}, {"start": 20, "end": 39, "label": "X"}]})
    mapped = LabelMap("mine", {"GENDER": None, "X": "CREDITCARDNUMBER"}).apply(record)
    assert mapped.ignored == ((0, 5), (10, 13))
    assert mapped.spans == (Span(20, 39, "CREDITCARDNUMBER"),)


def test_rules_decide_by_the_value():
    text = "from 300.1.2.3 and 192.168.0.1 then ::ffff:10.0.0.1"
    record = record_with([("300.1.2.3", "IP"), ("192.168.0.1", "IP"), ("::ffff:10.0.0.1", "IP")], text)
    mapped = LabelMap("ip", {"IP": "@ip-version"}).apply(record)
    assert labelled(mapped) == [("192.168.0.1", "IPV4"), ("::ffff:10.0.0.1", "IPV6")]
    assert ignored_text(mapped) == ["300.1.2.3"]  # not an address at all: ignored, not forced into one


def test_a_wrong_iban_checksum_is_an_account_number():
    text = "to GB83WEST12345698765432 or FR7630006000011234567890189"
    record = record_with([("GB83WEST12345698765432", "ACC"), ("FR7630006000011234567890189", "ACC")], text)
    mapped = LabelMap("acc", {"ACC": "@account-number"}).apply(record)
    assert [label for _, label in labelled(mapped)] == ["ACCOUNTNUMBER", "IBAN"]


# --- loading ------------------------------------------------------------------------------------

def write_map(tmp_path: Path, content, name: str = "map.json") -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content, indent=2), encoding="utf-8")
    return path


def test_every_built_in_map_loads_documents_each_decision_and_cites_a_source():
    for name in BUILTIN_MAPS:
        label_map = load_label_map(name)
        assert label_map.source, name
        assert set(label_map.notes) == set(label_map.mapping), name
        assert all(t is None or t in LABELS or t in RULES for t in label_map.mapping.values()), name
        assert label_map.unknown == "error", name


def test_400k_and_500k_share_one_map_covering_both_label_sets():
    only_400k = {"ACCOUNTNUM", "DATEOFBIRTH", "PASSWORD", "USERNAME"}
    only_500k = {"AGE", "DATE", "TIME", "TITLE", "SEX", "GENDER", "PASSPORTNUM"}
    assert load_label_map("ai4privacy-400k").mapping == load_label_map("ai4privacy-500k").mapping
    assert only_400k | only_500k <= set(load_label_map("ai4privacy-500k").labels)


def test_a_users_own_map_file(tmp_path):
    path = write_map(tmp_path, {"map": {"PER": "FIRSTNAME", "DOB": "DATE", "GENDER": None},
                                "notes": {"GENDER": "not scored"}, "unknown": "ignore"}, "echr.json")
    label_map = load_label_map(path)
    assert (label_map.name, label_map.unknown) == ("echr", "ignore")
    record = record_with([("Ana", "PER"), ("4111 1111 1111 1111", "CARD")])
    assert labelled(label_map.apply(record)) == [("Ana", "FIRSTNAME")]
    assert load_label_map(str(path)).mapping == label_map.mapping


def test_free_form_targets_are_allowed_only_when_the_file_says_so(tmp_path):
    content = {"map": {"PER": "PERSON"}}
    with pytest.raises(LabelMapError, match=r"map\.json, line 3: 'PER': target 'PERSON' is not a project label"):
        load_label_map(write_map(tmp_path, content))
    label_map = load_label_map(write_map(tmp_path, {**content, "targets": "free-form"}))
    assert label_map.apply(record_with([("Ana", "PER")])).spans[0].label == "PERSON"


def test_unknown_built_in_name_lists_the_built_ins():
    with pytest.raises(LabelMapError, match="unknown label map 'ai4privacy-100k'.*ai4privacy-200k.*ai4privacy-300k"):
        load_label_map("ai4privacy-100k")


def test_missing_map_file():
    with pytest.raises(MissingInputError, match="no such label map file"):
        load_label_map("/nonexistent/maps/mine.json")


@pytest.mark.parametrize("content, message", [
    ('{"map": {"A": "DATE",}}', r"line 1: malformed JSON"),
    ('[["A", "DATE"]]', "expected a JSON object"),
    ('{"labels": {"A": "DATE"}}', r"line 1: unknown key 'labels'"),
    ('{"name": "x"}', 'no "map" object'),
    ('{"map": {}}', "non-empty object"),
    ('{\n"map": {\n"A": "DATE",\n"A": null\n}\n}', r"line 3: key 'A' appears twice"),
    ('{\n"map": {\n"A": "@guess"\n}\n}', r"line 3: 'A': unknown rule '@guess'"),
    ('{"map": {"A": 7}}', "must be a label name"),
    ('{"map": {"A": "DATE"}, "unknown": "drop"}', r"\"unknown\" is 'drop'"),
    ('{"map": {"A": "DATE"}, "targets": "any"}', r"\"targets\" is 'any'"),
    ('{"map": {"A": "DATE"},\n"notes": {\n"B": "typo"}}', r"line 3: note for 'B'"),
    ('{"map": {"A": "DATE"}, "source": 3}', '"source" must be'),
])
def test_malformed_map_files_name_the_file_line_and_reason(tmp_path, content, message):
    path = write_map(tmp_path, content)
    with pytest.raises(LabelMapError, match=message) as caught:
        load_label_map(path)
    assert str(path) in str(caught.value)


def test_a_map_built_in_code_is_checked_too():
    with pytest.raises(LabelMapError, match="'PER' -> target 'PERSON' is not a project label"):
        LabelMap("inline", {"PER": "PERSON"})
    with pytest.raises(LabelMapError, match="unknown 'skip'"):
        LabelMap("inline", {"PER": "FIRSTNAME"}, unknown="skip")


# --- real rows (evaluation data kept outside the repository) --------------------------------------

REAL_DATA = os.environ.get("PII_TAGGER_REAL_DATA")
needs_real_data = pytest.mark.skipif(not REAL_DATA, reason="PII_TAGGER_REAL_DATA is not set (folder of real "
                                                           "AI4Privacy rows, kept outside the repository)")


def real_records(file_name: str) -> list[Record]:
    path = Path(REAL_DATA) / file_name
    if not path.is_file():
        pytest.skip(f"{path} is not there")
    lines = path.read_text(encoding="utf-8").splitlines()
    return [parse_line(line, default_id=f"{path.stem}:{i}", default_language=None)[0]
            for i, line in enumerate(lines, start=1) if line.strip()]


@needs_real_data
@pytest.mark.parametrize("file_name, map_name", [("ai4p200k_en_head.jsonl", "ai4privacy-200k"),
                                                 ("ai4p500k_fr_partial.jsonl", "ai4privacy-500k")])
def test_real_rows_are_covered_by_the_map_and_stay_valid(file_name, map_name):
    records = real_records(file_name)
    label_map = load_label_map(map_name)
    seen = {span.label for record in records for span in record.spans}
    assert seen and seen <= set(label_map.labels), sorted(seen - set(label_map.labels))
    kept = ignored = 0
    for record in records:
        mapped = still_valid(label_map.apply(record))  # in range, sorted, ignored apart from spans
        assert all(span.label in LABELS for span in mapped.spans)
        assert len(mapped.spans) + len(mapped.ignored) == len(record.spans)
        kept, ignored = kept + len(mapped.spans), ignored + len(mapped.ignored)
    assert kept > 0
