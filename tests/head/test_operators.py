"""Operators: each one on hand-made spans, surrogates that keep formats and checksums, the same
surrogate for the same value within a run, and predict's --operator / --mapping end to end."""

from __future__ import annotations

import hashlib
import json
import os
import stat

import pytest
from click.testing import CliRunner

from cli import main
from extract.errors import PiiTaggerError
from extract.checksums import iban_valid, luhn_completed
from head.operators import (DEFAULT, Operator, Redactor, guess_language, iban_like, luhn_like, parse_operators,
                            read_salt, replace_spans)
from head.tagger import PredictedSpan

LABELS = ("FIRSTNAME", "EMAIL", "PHONENUMBER", "CREDITCARDNUMBER", "IBAN", "ZIPCODE")
TEXT = "Mary (mary@x.org) paid with 4111 1111 1111 1111 from FR76 3000 6000 0112 3456 7890 189, Mary again"


def spans_of(text: str, pieces: list[tuple[str, str, int]]) -> list[PredictedSpan]:
    out = []
    for value, label, occurrence in pieces:
        start = -1
        for _ in range(occurrence + 1):
            start = text.index(value, start + 1)
        out.append(PredictedSpan(start, start + len(value), label, 0.9, value))
    return out


def luhn_valid(number: str) -> bool:
    digits = "".join(c for c in number if c.isdigit())
    return len(digits) >= 2 and luhn_completed(digits[:-1]) == digits


def iban_ok(value: str) -> bool:
    return iban_valid("".join(value.split()).upper())


SPANS = spans_of(TEXT, [("Mary", "FIRSTNAME", 0), ("mary@x.org", "EMAIL", 0), ("4111 1111 1111 1111", "CREDITCARDNUMBER", 0),
                        ("FR76 3000 6000 0112 3456 7890 189", "IBAN", 0), ("Mary", "FIRSTNAME", 1)])


def test_operator_specs_name_every_label_one_label_or_the_rest():
    chosen = parse_operators(["mask", "EMAIL=hash", "IBAN=replace:<iban=x>"], LABELS)
    assert chosen == {DEFAULT: Operator("mask"), "EMAIL": Operator("hash"), "IBAN": Operator("replace", "<iban=x>")}
    assert parse_operators(["default=mask:#"], LABELS) == {DEFAULT: Operator("mask", "#")}
    for specs, message in [(["nope"], "unknown operator 'nope'"), (["NOPE=mask"], "NOPE is not a label"),
                           (["mask", "fake"], "two operators for every label"), (["hash:x"], "hash takes no argument"),
                           (["mask:##"], "mask takes one character")]:
        with pytest.raises(PiiTaggerError, match=message):
            parse_operators(specs, LABELS)


def test_each_operator_on_hand_made_spans():
    def redact(spec: str) -> tuple[str, list[dict]]:
        return Redactor(parse_operators([spec]), salt=b"pepper", seed=1).redact(TEXT, SPANS, "en")

    placeholders, items = redact("replace")
    assert placeholders == replace_spans(TEXT, SPANS)[0] == (
        "[FIRSTNAME_1] ([EMAIL_1]) paid with [CREDITCARDNUMBER_1] from [IBAN_1], [FIRSTNAME_1] again")
    assert [placeholders[i["start"]:i["end"]] for i in items] == [i["text"] for i in items]
    assert {i["operator"] for i in items} == {"replace"}
    assert redact("replace:<PII>")[0] == "<PII> (<PII>) paid with <PII> from <PII>, <PII> again"
    assert redact("mask")[0] == TEXT.replace("mary@x.org", "*" * 10).replace("Mary", "****").replace(
        "4111 1111 1111 1111", "*" * 19).replace("FR76 3000 6000 0112 3456 7890 189", "*" * 33)
    assert redact("mask:#")[0].startswith("#### (##########)")
    assert redact("redact")[0] == " () paid with  from ,  again"
    assert redact("keep")[0] == TEXT
    hashed = redact("hash")[0]
    assert hashed.startswith(hashlib.sha256(b"pepper" + b"Mary").hexdigest() + " (")
    assert hashed.count(hashlib.sha256(b"pepper" + b"Mary").hexdigest()) == 2  # the same value, the same hash


def test_fake_surrogates_keep_formats_checksums_and_agree_within_a_run():
    redactor = Redactor(parse_operators(["fake"]), seed=3)
    redacted, items = redactor.redact(TEXT, SPANS, "en")
    fakes = {item["entity_type"]: redacted[item["start"]:item["end"]] for item in items}
    assert fakes["FIRSTNAME"] != "Mary" and redacted.count(fakes["FIRSTNAME"]) >= 2  # the same value, the same name
    assert "@" in fakes["EMAIL"] and fakes["EMAIL"] != "mary@x.org"
    card = fakes["CREDITCARDNUMBER"]
    assert luhn_valid(card) and card != "4111 1111 1111 1111" and card[0] == "4"
    assert [len(group) for group in card.split(" ")] == [4, 4, 4, 4]
    iban = fakes["IBAN"]
    assert iban_ok(iban) and iban.startswith("FR") and [len(g) for g in iban.split()] == [4, 4, 4, 4, 4, 4, 3]
    assert redactor.mapping[card] == "4111 1111 1111 1111" and redactor.mapping[fakes["FIRSTNAME"]] == "Mary"
    again, _ = redactor.redact("Mary is back", spans_of("Mary is back", [("Mary", "FIRSTNAME", 0)]), "en")
    assert again == f"{fakes['FIRSTNAME']} is back"  # within the run, across texts


@pytest.mark.parametrize("seed", range(20))
def test_format_keeping_fakes_are_always_valid(seed):
    import random

    rng = random.Random(seed)
    assert luhn_valid(luhn_like("5500-0000-0000-0004", rng))
    assert iban_ok(iban_like("GB82WEST12345698765432", rng))
    assert iban_ok(iban_like("DE89 3704 0044 0532 0130 00", rng))


def test_phones_keep_their_prefix_and_shape_and_french_text_gets_french_fakes():
    redactor = Redactor(parse_operators(["fake"]), seed=5)
    text = "Appelez Jean au +33 6 12 34 56 78 pour le dossier"
    spans = spans_of(text, [("Jean", "FIRSTNAME", 0), ("+33 6 12 34 56 78", "PHONENUMBER", 0)])
    redacted, items = redactor.redact(text, spans)  # no language given: guessed from the words
    phone = redacted[items[1]["start"]:items[1]["end"]]
    assert phone.startswith("+33 ") and len(phone) == 17 and phone != "+33 6 12 34 56 78"
    assert [c.isdigit() for c in phone] == [c.isdigit() for c in "+33 6 12 34 56 78"]
    assert guess_language(text) == "fr" and guess_language("Call Mary on the phone") == "en"
    assert "fr" in redactor._fakers and "en" not in redactor._fakers


def test_the_salt_comes_from_a_file_the_environment_or_chance(tmp_path, monkeypatch):
    monkeypatch.delenv("PII_TAGGER_SALT", raising=False)
    assert read_salt(None) == (None, "random for this run: hashes cannot be matched with another run's")
    monkeypatch.setenv("PII_TAGGER_SALT", "pepper")
    assert read_salt(None) == (b"pepper", "from $PII_TAGGER_SALT")
    (tmp_path / "salt").write_bytes(b"grain\n")
    assert read_salt(tmp_path / "salt") == (b"grain", f"from {tmp_path / 'salt'}")
    with pytest.raises(PiiTaggerError, match="cannot read it"):
        read_salt(tmp_path / "missing")


def test_predict_applies_operators_and_writes_a_private_mapping(tiny_head, tmp_path):
    texts = tmp_path / "texts.jsonl"
    texts.write_text("\n".join(json.dumps({"id": str(i), "text": f"Call Mary Jones on 555-123-456{i}"})
                               for i in range(3)) + "\n")
    out, mapping = tmp_path / "out.jsonl", tmp_path / "map.json"
    result = CliRunner().invoke(main, ["predict", "--head", str(tiny_head), "--input", str(texts), "--output", str(out),
                                       "--min-score", "0", "--operator", "FIRSTNAME=fake", "--operator", "default=hash",
                                       "--operator", "PHONENUMBER=fake", "--mapping", str(mapping), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "hash salt  random for this run" in result.output and "personal data, mode 0600" in result.output
    assert stat.S_IMODE(os.stat(mapping).st_mode) == 0o600
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    originals = json.loads(mapping.read_text())
    assert rows and all(row["spans"] for row in rows)
    for row in rows:
        assert row["masked_text"] != row["text"]
        for span in row["spans"]:
            assert span["text"] in originals.values()
    refused = CliRunner().invoke(main, ["predict", "--head", str(tiny_head), "--operator", "EMAIL=shred", "hi"])
    assert refused.exit_code != 0 and "unknown operator 'shred'" in refused.output and "Loading" not in refused.output


def test_overlapping_spans_are_hidden_as_one_and_nothing_shows_twice():
    text = "-'X1 é𝔘 İb1Y and more"
    spans = [PredictedSpan(8, 9, "STREET", 0.4, text[8:9]), PredictedSpan(8, 12, "PASSWORD", 0.5, text[8:12]),
             PredictedSpan(2, 6, "USERNAME", 0.6, text[2:6]), PredictedSpan(3, 4, "ZIPCODE", 0.6, text[3:4])]
    redacted, items = replace_spans(text, spans)
    assert redacted == "-'[USERNAME_1]𝔘 [PASSWORD_1] and more"  # the first span of each overlap, at the union's extent
    assert [redacted[i["start"]:i["end"]] for i in items] == ["[USERNAME_1]", "[PASSWORD_1]"]
    masked, _ = Redactor(parse_operators(["mask"])).redact(text, spans, "en")
    assert masked == "-'****𝔘 **** and more" and len(masked) == len(text)


def test_fake_never_returns_a_value_and_keeps_odd_formats_alive():
    redactor = Redactor(parse_operators(["fake"]), seed=2)
    for label, value in [("ACCOUNTNUMBER", "Владимир"), ("USERNAME", "José García"), ("ZIPCODE", "0"),
                         ("SSN", "--"), ("IBAN", "FR76-3000-6000-0112-3456-7890-189")]:
        fake = redactor._fake(label, value, "en")
        assert fake != value and not any(c in value for c in fake if c.isalpha() and not c.isascii())
    dashed = redactor._fake("IBAN", "DE89-3704-0044-0532-0130-00", "en")
    assert iban_ok(dashed.replace("-", "")) and dashed.count("-") == 5
