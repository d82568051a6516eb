"""Corpus readers: the three formats, language detection, and every bad-input case."""

from __future__ import annotations

import json

import pytest

from extract.records import CorpusError, ReadReport, Span, language_from_filename, read_corpus
from tests.helpers import write_jsonl

TEXT = "Hello John Smith, mail john@example.com"


def ai4privacy_row(**overrides):
    row = {
        "id": "a1",
        "language": "English",
        "source_text": TEXT,
        "privacy_mask": [
            {"value": "John", "start": 6, "end": 10, "label": "FIRSTNAME"},
            {"value": "Smith", "start": 11, "end": 16, "label": "LASTNAME"},
            {"value": "john@example.com", "start": 23, "end": 39, "label": "EMAIL"},
        ],
    }
    row.update(overrides)
    return row


EXPECTED_SPANS = (Span(6, 10, "FIRSTNAME"), Span(11, 16, "LASTNAME"), Span(23, 39, "EMAIL"))


def test_ai4privacy_format(tmp_path):
    [record] = read_corpus(write_jsonl(tmp_path / "x.jsonl", [ai4privacy_row()]))
    assert (record.id, record.language, record.text, record.spans) == ("a1", "en", TEXT, EXPECTED_SPANS)


def test_pii_masking_200k_python_literal_string_with_o_spans_and_suffixes(tmp_path):
    row = {"unmasked_text": TEXT, "language": "en",
           "span_labels": "[[0, 6, 'O'], [6, 10, 'FIRSTNAME_1'], [11, 16, 'LASTNAME_1'], [16, 23, 'O'], "
                          "[23, 39, 'EMAIL_2']]"}
    [record] = read_corpus(write_jsonl(tmp_path / "x.jsonl", [row]))
    assert record.spans == EXPECTED_SPANS


def test_pii_masking_200k_list_form(tmp_path):
    row = {"unmasked_text": TEXT, "language": "en", "span_labels": [[6, 10, "FIRSTNAME"], [23, 39, "EMAIL"]]}
    [record] = read_corpus(write_jsonl(tmp_path / "x.jsonl", [row]))
    assert record.spans == (Span(6, 10, "FIRSTNAME"), Span(23, 39, "EMAIL"))


def test_literal_strings_are_never_evaluated(tmp_path):
    row = {"unmasked_text": TEXT, "language": "en", "span_labels": "__import__('os').system('echo pwned')"}
    with pytest.raises(CorpusError, match="neither JSON nor a Python literal"):
        list(read_corpus(write_jsonl(tmp_path / "x.jsonl", [row])))


def test_generic_format_with_dicts_and_triples(tmp_path):
    rows = [{"id": "g1", "language": "fr", "text": "Appelez Marie", "spans": [{"start": 8, "end": 13, "label": "FIRSTNAME"}]},
            {"id": "g2", "language": "fr", "text": "Appelez Marie", "spans": [[8, 13, "FIRSTNAME"]]}]
    records = list(read_corpus(write_jsonl(tmp_path / "x.jsonl", rows)))
    assert [r.spans for r in records] == [(Span(8, 13, "FIRSTNAME"),)] * 2


def test_language_from_file_name_when_the_record_has_none(tmp_path):
    row = ai4privacy_row()
    del row["language"]
    [record] = read_corpus(write_jsonl(tmp_path / "french_train.jsonl", [row]))
    assert record.language == "fr"
    assert language_from_filename("english_val.jsonl") == "en"
    assert language_from_filename("data_fr.jsonl") == "fr"
    assert language_from_filename("mixed.jsonl") is None


def test_missing_language_everywhere_is_an_error(tmp_path):
    row = ai4privacy_row()
    del row["language"]
    with pytest.raises(CorpusError, match=r"mixed\.jsonl, line 1: no language"):
        list(read_corpus(write_jsonl(tmp_path / "mixed.jsonl", [row])))


def test_surrounding_whitespace_is_trimmed_and_counted(tmp_path):
    row = {"text": "Call  Marie  now", "language": "en", "spans": [{"start": 4, "end": 12, "label": "FIRSTNAME"}]}
    report = ReadReport()
    [record] = read_corpus(write_jsonl(tmp_path / "x.jsonl", [row]), report=report)
    assert record.spans == (Span(6, 11, "FIRSTNAME"),)
    assert report.trimmed_spans == 1


BAD_LINES = [
    ("{not json", "malformed JSON"),
    (json.dumps({"language": "en", "privacy_mask": []}), "unrecognised record"),
    (json.dumps(ai4privacy_row(source_text="")), "is empty"),
    (json.dumps(ai4privacy_row(privacy_mask=[{"value": "x", "start": 30, "end": 99, "label": "EMAIL"}])), "out of range"),
    (json.dumps(ai4privacy_row(privacy_mask=[{"start": 6, "end": 12, "label": "FIRSTNAME"},
                                             {"start": 11, "end": 16, "label": "LASTNAME"}])), "overlapping spans"),
    (json.dumps(ai4privacy_row(privacy_mask=[{"value": "Jon", "start": 6, "end": 10, "label": "FIRSTNAME"}])),
     "differs from the text"),
    (json.dumps(ai4privacy_row(language="German")), "unknown language 'German'"),
    (json.dumps(ai4privacy_row(privacy_mask=[{"start": "6", "end": 10, "label": "FIRSTNAME"}])), "expected an integer"),
    (json.dumps([1, 2]), "expected a JSON object"),
]


@pytest.mark.parametrize("line, reason", BAD_LINES)
def test_bad_line_names_file_line_and_reason(tmp_path, line, reason):
    path = tmp_path / "corpus.jsonl"
    path.write_text(json.dumps(ai4privacy_row()) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(CorpusError) as info:
        list(read_corpus(path))
    message = str(info.value)
    assert f"{path}, line 2" in message and reason in message


def test_skip_invalid_counts_and_keeps_the_rest(tmp_path):
    path = tmp_path / "corpus.jsonl"
    lines = [json.dumps(ai4privacy_row(id=str(i))) for i in range(3)] + [line for line, _ in BAD_LINES]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = ReadReport()
    records = list(read_corpus(path, skip_invalid=True, report=report))
    assert len(records) == 3
    assert report.skipped == len(BAD_LINES)
    assert sum(report.reasons.values()) == len(BAD_LINES)


def test_non_utf8_bytes_are_a_clear_error(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(json.dumps(ai4privacy_row(source_text="café")).encode("utf-8").replace(b"caf\\u00e9", b"caf\xe9"))
    with pytest.raises(CorpusError, match=r"line 1: not valid UTF-8"):
        list(read_corpus(path))


def test_empty_file_is_an_error(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="no usable records: it is empty"):
        list(read_corpus(path))


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such corpus file"):
        list(read_corpus(tmp_path / "nope.jsonl"))
