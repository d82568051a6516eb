"""Template files (extract/synth/template_files.py): package data per language and genre, each file
parsing on its own, stable unique ids, and every fault reported with its file and line."""

from __future__ import annotations

import importlib.resources
import re
from pathlib import Path

import pytest

from extract.errors import PiiTaggerError
from extract.synth import TEMPLATE_COUNTS, SynthConfig, load_templates

TEMPLATE_DIR = Path(str(importlib.resources.files("extract.synth").joinpath("templates")))


def template_files():
    return sorted(TEMPLATE_DIR.glob("en/*.txt")) + sorted(TEMPLATE_DIR.glob("fr/*.txt"))


def test_template_files_are_package_data_per_language_and_genre():
    files = template_files()
    assert {f.parent.name for f in files} == {"en", "fr"}
    for language in ("en", "fr"):
        assert len([f for f in files if f.parent.name == language]) >= 10
    assert (TEMPLATE_DIR / "README.md").is_file()


@pytest.mark.parametrize("path", template_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_template_file_parses_on_its_own(tmp_path, path):
    (tmp_path / path.parent.name).mkdir()
    (tmp_path / path.parent.name / path.name).write_bytes(path.read_bytes())
    templates = load_templates(tmp_path)[path.parent.name]
    headers = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("===")]
    assert len(templates) == len(headers) >= 1
    assert all(t.source.startswith(str(tmp_path / path.parent.name / path.name)) for t in templates)


def test_template_ids_are_unique_prefixed_by_language_and_stable():
    templates = load_templates()
    ids = [t.id for language in templates for t in templates[language]]
    assert len(ids) == len(set(ids)) == sum(TEMPLATE_COUNTS.values())
    for language in ("en", "fr"):
        assert templates[language]
        assert all(t.id.startswith(f"{language}-") for t in templates[language])
    # Ids are stable: template-disjoint splits and written records rely on them.
    assert {"en-support-login", "en-letter-landlord", "en-faq", "fr-caf-courrier", "fr-sms-medecin",
            "fr-deploiement"} <= set(ids)


def test_prose_genres_and_a_third_without_pii():
    templates = load_templates()
    for language in ("en", "fr"):
        assert TEMPLATE_COUNTS[language] >= 120
        # Texts without PII come from their own deck: none of its templates is drawn much more often
        # than a template with PII, or those texts would repeat themselves.
        no_pii = [t for t in templates[language] if not t.has_pii]
        share = SynthConfig().no_pii_fraction
        per_no_pii, per_pii = share / len(no_pii), (1 - share) / (TEMPLATE_COUNTS[language] - len(no_pii))
        assert per_no_pii <= 1.25 * per_pii
        genres = {Path(t.source.split(",")[0]).stem for t in templates[language]}
        assert len({g for g in genres if g.startswith("prose-")}) >= 8


MALFORMED = {
    "unknown placeholder": ("=== en-a\nHello {FIRSTNAME},\nyour {PASPORT} is ready.\n", 3, r"unknown placeholder \{PASPORT\}"),
    "unknown variant": ("=== en-a\n\nBorn on {DATE:dobb}.\n", 3, r"unknown variant 'dobb'"),
    "stray brace": ("# comment\n=== en-a prose=on\nDear {FIRSTNAME},\nsee {page for details.\n", 4, r"stray '\{'"),
    "closing brace": ("=== en-a\nHi {FIRSTNAME}} and welcome.\n", 2, r"stray '\}'"),
    "wrong language prefix": ("=== fr-a\nBonjour {FIRSTNAME}.\n", 1, r"must start with 'en-'"),
    "bad id": ("=== en_Support\nHi {FIRSTNAME}.\n", 1, r"template id 'en_Support'"),
    "unknown attribute": ("=== en-a locale=en_US\nHi {FIRSTNAME}.\n", 1, r"unknown attribute 'locale'"),
    "unknown locale": ("=== en-a locales=fr_FR\nHi {FIRSTNAME}.\n", 1, r"locale 'fr_FR'"),
    "text before header": ("Hi {FIRSTNAME}.\n=== en-a\nHi.\n", 1, r"text outside a template"),
    "empty template": ("=== en-a\n\n# nothing\n=== en-b\nHi {FIRSTNAME}.\n", 1, r"has no text"),
    "filler with variant": ("=== en-a\nOrder {order_code:long} for {FIRSTNAME}.\n", 2, r"take no variant"),
    "one-option alternative": ("=== en-a\n{~Hi} {FIRSTNAME}.\n", 2, r"at least two options"),
    "duplicate id in a file": ("=== en-a\nHi {FIRSTNAME}.\n\n=== en-a\nBye {FIRSTNAME}.\n", 4, r"duplicate template id 'en-a'"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_template_names_file_and_line(tmp_path, case):
    text, line, reason = MALFORMED[case]
    path = tmp_path / "en" / "broken.txt"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PiiTaggerError, match=re.escape(f"{path}, line {line}: ") + f".*{reason}"):
        load_templates(tmp_path)


def test_duplicate_id_across_files_names_both(tmp_path):
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "a.txt").write_text("=== en-greeting\nHi {FIRSTNAME}.\n", encoding="utf-8")
    (tmp_path / "en" / "b.txt").write_text("# b\n=== en-greeting\nHello {FIRSTNAME}.\n", encoding="utf-8")
    with pytest.raises(PiiTaggerError, match=re.escape(f"{tmp_path / 'en' / 'b.txt'}, line 2") + ".*"
                       + re.escape(f"first defined at {tmp_path / 'en' / 'a.txt'}, line 1")):
        load_templates(tmp_path)


def test_template_format_attributes_and_prose_unwrapping(tmp_path):
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "t.txt").write_text(
        "# header comment\n"
        "=== en-letter locales=en_GB children=2 prose=on\n"
        "Dear {FIRSTNAME},\n\n"
        "this paragraph is long enough to be wrapped in the data file, so its lines are joined\n"
        "into one line of text when the template is loaded.\n\n\n\n"  # extra blank lines are kept as they are
        "Yours,\n{FIRSTNAME#2}\n\n"
        "=== en-plain\nNo PII here, version {version},\nline breaks kept.\n",
        encoding="utf-8")
    letter, plain = load_templates(tmp_path)["en"]
    assert (letter.locales, letter.children, letter.has_pii) == (("en_GB",), frozenset({2}), True)
    literal = "".join(part for part in letter.parts if isinstance(part, str))
    assert "joined into one line" in literal and "\n\nYours,\n" in literal
    assert (plain.locales, plain.has_pii) == (("en_US", "en_GB"), False)
    assert "\nline breaks kept." in "".join(part for part in plain.parts if isinstance(part, str))
    assert load_templates(tmp_path)["fr"] == []


def test_placeholders_are_split_into_parts(tmp_path):
    (tmp_path / "fr").mkdir()
    (tmp_path / "fr" / "t.txt").write_text("=== fr-a\n{~Bonjour|Salut} {FIRSTNAME#2:upper}, né{@2:|e} le {DATE}.\n",
                                           encoding="utf-8")
    (template,) = load_templates(tmp_path)["fr"]
    assert template.parts == (("~", ("Bonjour", "Salut")), " ", ("ph", "FIRSTNAME#2:upper", "FIRSTNAME", 2,
                              frozenset({"upper"})), ", né", ("@", 2, ("", "e")), " le ",
                              ("ph", "DATE", "DATE", 1, frozenset()), ".")


def test_doubled_braces_are_literal_braces(tmp_path):
    """'{{' and '}}' write one brace, as in str.format, so a template can hold a JSON line."""
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "t.txt").write_text('=== en-a\n{{"user": "{USERNAME}", "n": {n}}}\n', encoding="utf-8")
    (template,) = load_templates(tmp_path)["en"]
    assert template.parts == ('{"user": "', ("ph", "USERNAME", "USERNAME", 1, frozenset()), '", "n": ',
                              ("ph", "n", "n", 1, frozenset()), "}")
    (tmp_path / "en" / "t.txt").write_text('=== en-a\n{{"user": "{USERNAME}"}\n', encoding="utf-8")
    with pytest.raises(PiiTaggerError, match=r"line 2: .*column 23: stray '\}'.*written '\}\}'"):
        load_templates(tmp_path)


def test_unknown_language_folder_is_an_error(tmp_path):
    (tmp_path / "de").mkdir()
    with pytest.raises(PiiTaggerError, match="unsupported language"):
        load_templates(tmp_path)


def test_missing_folder_is_an_error(tmp_path):
    with pytest.raises(PiiTaggerError, match="no such template folder"):
        load_templates(tmp_path / "nowhere")
