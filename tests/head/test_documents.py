"""Inputs users have: a .txt document, text on stdin, JSONL with another text field, CSV/TSV tables;
written back in kind, and every option or file checked before the backbone loads."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from cli import main
from extract.errors import PiiTaggerError
from head.documents import RowWriter, input_format, output_format, read_records, table_column


def test_formats_come_from_the_option_or_the_suffix():
    assert [input_format(name, None) for name in ("a.txt", "a.csv", "b.TSV", "c.jsonl", "d.data", "-")] == \
           ["text", "csv", "tsv", "jsonl", "jsonl", "jsonl"]
    assert input_format("a.txt", "csv") == "csv" and output_format(None, "csv") == "csv"
    assert output_format("out.jsonl", "text") == "jsonl" and output_format("out.txt", "csv") == "text"
    with pytest.raises(PiiTaggerError, match="a table is written back from a table"):
        output_format("out.csv", "text")
    with pytest.raises(PiiTaggerError, match="`format`: unknown value 'xml'"):
        input_format("a.txt", "xml")


def test_each_format_is_read_as_records(tmp_path):
    document = tmp_path / "notes.txt"
    document.write_text("Line one, Mary.\n\nLine three.\n")
    assert list(read_records(document, "text")) == [("1", "Line one, Mary.\n\nLine three.\n", None)]
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"id": "a", "body": "hi Bob"}) + "\n" + json.dumps({"body": "yo"}) + "\n")
    assert [r[:2] for r in read_records(rows, "jsonl", text_field="body")] == [("a", "hi Bob"), ("2", "yo")]
    table = tmp_path / "t.tsv"
    table.write_text("id\tbody\n7\tCall Mary\n8\tWrite, \"please\"\n")
    assert table_column(table, "tsv", "body") == "body"
    assert [(i, t) for i, t, _ in read_records(table, "tsv", column="body")] == [("2", "Call Mary"),
                                                                                   ("3", 'Write, "please"')]
    with pytest.raises(PiiTaggerError, match=r"no column 'text2'; its columns are: id, body"):
        table_column(table, "tsv", "text2")
    table.write_text("id\tbody\n7\tCall Mary\textra\n")
    with pytest.raises(PiiTaggerError, match=r"t.tsv, line 2: 3 cells where the header has 2"):
        list(read_records(table, "tsv", column="body"))


def test_tables_are_written_back_with_only_the_column_redacted():
    handle = io.StringIO()
    writer = RowWriter(handle, "csv", column="body")
    writer.write({"masked_text": "[FIRSTNAME_1], hi"}, {"id": "1", "body": "Mary, hi", "note": 'a "quote"'})
    assert list(csv.DictReader(io.StringIO(handle.getvalue()))) == [
        {"id": "1", "body": "[FIRSTNAME_1], hi", "note": 'a "quote"'}]


def test_predict_redacts_a_document_a_table_and_stdin_in_kind(tiny_head, tmp_path):
    runner = CliRunner()
    document = tmp_path / "notes.txt"
    document.write_text("Call Mary Jones on 555-123-4567.\n\nSecond line: mary@example.com\n")
    out = tmp_path / "notes.redacted.txt"
    result = runner.invoke(main, ["predict", "--head", str(tiny_head), "--input", str(document), "--output", str(out),
                                  "--min-score", "0", "--quiet"])
    assert result.exit_code == 0, result.output
    redacted = out.read_text()
    assert redacted.count("\n") == 3 and redacted.endswith("\n") and "[" in redacted  # the lines kept
    table = tmp_path / "tickets.csv"
    table.write_text('id,body,status\n1,"Call Mary, on 555-123-4567",open\n2,Write to jean@example.fr,closed\n')
    result = runner.invoke(main, ["predict", "--head", str(tiny_head), "--input", str(table), "--column", "body",
                                  "--min-score", "0", "--quiet"])
    assert result.exit_code == 0, result.output
    written = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(row["id"], row["status"]) for row in written] == [("1", "open"), ("2", "closed")]
    assert all(row["body"] != original for row, original in zip(written, ["Call Mary, on 555-123-4567", "Write"]))
    result = runner.invoke(main, ["predict", "--head", str(tiny_head), "--input", "-", "--format", "text",
                                  "--min-score", "0", "--quiet"], input="Appelez Jean\nau 06 12 34 56 78")
    assert result.exit_code == 0 and result.stdout.count("\n") == 1 and "[" in result.stdout


def test_bad_options_and_files_stop_before_the_backbone_loads(tiny_head, tmp_path, monkeypatch):
    from head.tagger import Tagger

    monkeypatch.setattr(Tagger, "from_pretrained", lambda *a, **k: pytest.fail("the backbone was loaded"))
    table = tmp_path / "t.csv"
    table.write_text("id,body\n1,hi\n")
    for args, message in [(["--input", str(table)], "no --column given and no column named 'text'"),
                          (["--input", str(table), "--column", "bodyy"], "no column 'bodyy'; its columns are: id, body"),
                          (["--input", str(tmp_path / "gone.txt")], "no such file"),
                          (["--input", str(table), "--column", "body", "--output", str(tmp_path / "o.csv"),
                            "--operator", "EMAIL=shred"], "unknown operator 'shred'"),
                          (["--input", str(tmp_path / "n.txt"), "--output", str(tmp_path / "o.csv")],
                           "a table is written back from a table")]:
        (tmp_path / "n.txt").write_text("hello")
        result = CliRunner().invoke(main, ["predict", "--head", str(tiny_head), *args])
        assert result.exit_code != 0 and message in result.output.replace("`", ""), (args, result.output)


def test_a_csv_saved_by_excel_with_a_bom_is_read(tmp_path):
    table = tmp_path / "excel.csv"
    table.write_bytes("\ufefftext,id\nCall Mary,1\n".encode("utf-8"))
    assert table_column(table, "csv", None) == "text"
    assert [t for _, t, _ in read_records(table, "csv")] == ["Call Mary"]
