"""What `predict` reads and writes: JSONL records, a plain-text document, or a CSV/TSV table.

Each format is read lazily as (id, text, row) and written back in kind: JSONL rows, the redacted
document with its lines, or the table with one column redacted and the other columns unchanged.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Iterator, TextIO

from extract.errors import MissingInputError, PiiTaggerError
from extract.records import ReadReport, check_text, decode_line, json_value

FORMATS = ("jsonl", "text", "csv", "tsv")
SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".txt": "text", ".text": "text", ".md": "text",
            ".csv": "csv", ".tsv": "tsv", ".tab": "tsv"}
DELIMITERS = {"csv": ",", "tsv": "\t"}
csv.field_size_limit(1 << 30)  # a cell may hold a whole document


def input_format(path: Path | str, given: str | None) -> str:
    """`given`, else the input's suffix (.txt text, .csv, .tsv), else JSONL (standard input too)."""
    if given is not None:
        if given not in FORMATS:
            raise PiiTaggerError(f"`format`: unknown value {given!r} (expected one of: {', '.join(FORMATS)})")
        return given
    return SUFFIXES.get(Path(str(path)).suffix.lower(), "jsonl") if str(path) != "-" else "jsonl"


def output_format(path: Path | str | None, read_as: str) -> str:
    """The output's suffix when it names a format, else the input's format."""
    written_as = SUFFIXES.get(Path(str(path)).suffix.lower(), read_as) if path is not None else read_as
    if written_as in DELIMITERS and read_as not in DELIMITERS:
        raise PiiTaggerError(f"`output` {path}: a table is written back from a table (a CSV or TSV input); "
                             f"this input is {read_as}")
    return written_as


def table_column(path: Path | str, fmt: str, column: str | None) -> str:
    """The column to redact, checked against the table's header before any model loads."""
    with _open_text(path) as handle:
        header = next(csv.reader(handle, delimiter=DELIMITERS[fmt]), None)
    if not header:
        raise PiiTaggerError(f"{_name(path)}: empty table, no header line")
    chosen = column or ("text" if "text" in header else None)
    if chosen is None or chosen not in header:
        wanted = f"no column {column!r}" if column else "no `column` given and no column named 'text'"
        raise PiiTaggerError(f"{_name(path)}: {wanted}; its columns are: {', '.join(header)}")
    return chosen


def read_records(path: Path | str, fmt: str, *, text_field: str = "text", column: str | None = None,
                 skip_invalid: bool = False, report: ReadReport | None = None) -> Iterator[tuple[str, str, dict | None]]:
    """(id, text, table row or None), lazily; a bad line is an error naming it, or with
    `skip_invalid` is counted in `report`."""
    if fmt == "text":
        yield "1", read_document(path), None
    elif fmt in DELIMITERS:
        yield from _table_records(path, fmt, column, skip_invalid, report)
    else:
        yield from _jsonl_records(path, text_field, skip_invalid, report)


def read_document(path: Path | str) -> str:
    """A whole text file (or standard input) as one document."""
    raw = sys.stdin.buffer.read() if str(path) == "-" else Path(path).read_bytes()
    try:
        text = decode_line(raw)
        check_text(text, "the text")
    except PiiTaggerError as err:
        raise PiiTaggerError(f"{_name(path)}: {err}") from None
    return text


def count_records(path: Path | str, fmt: str) -> int | None:
    """Records in a file, for a progress bar's total; None for standard input."""
    if str(path) == "-":
        return None
    if fmt == "text":
        return 1
    with open(path, "rb") as handle:
        lines = sum(1 for line in handle if line.strip())
    return max(0, lines - 1) if fmt in DELIMITERS else lines


def _jsonl_records(path, text_field: str, skip_invalid: bool, report: ReadReport | None):
    stdin = str(path) == "-"
    handle = sys.stdin.buffer if stdin else open(path, "rb")
    try:
        for number, raw in enumerate(handle, start=1):
            try:
                line = decode_line(raw)
                if not line.strip():
                    continue
                obj = json_value(line, "a text")
                text = _field(obj, text_field)
                check_text(text, "the text")
            except ValueError as err:  # json.JSONDecodeError is a ValueError, and so is PiiTaggerError
                _bad(path, number, err.msg if isinstance(err, json.JSONDecodeError) else str(err), skip_invalid, report)
                continue
            yield (str(obj.get("id", number)) if isinstance(obj, dict) else str(number)), text, None
    finally:
        if not stdin:
            handle.close()


def _field(obj, text_field: str) -> str:
    if isinstance(obj, str):
        return obj
    text = obj.get(text_field, obj.get("source_text") if text_field == "text" else None) \
        if isinstance(obj, dict) else None
    if not isinstance(text, str):
        raise PiiTaggerError(f"expected a JSON string or an object with a `{text_field}` string")
    return text


def _table_records(path, fmt: str, column: str | None, skip_invalid: bool, report: ReadReport | None):
    with _open_text(path) as handle:
        reader = csv.reader(handle, delimiter=DELIMITERS[fmt])
        header = next(reader, [])
        column = column or "text"
        if column not in header:  # standard input, whose header could not be read beforehand
            raise PiiTaggerError(f"{_name(path)}: no column {column!r}; its columns are: {', '.join(header)}")
        for cells in reader:
            number = reader.line_num
            if not cells:  # a blank line
                continue
            try:
                if len(cells) != len(header):
                    raise PiiTaggerError(f"{len(cells)} cells where the header has {len(header)}")
                row = dict(zip(header, cells))
                check_text(row[column], f"column {column!r}")
            except PiiTaggerError as err:
                _bad(path, number, str(err), skip_invalid, report)
                continue
            yield str(number), row[column], row


def _bad(path, number: int, reason: str, skip_invalid: bool, report: ReadReport | None) -> None:
    if not skip_invalid:
        raise PiiTaggerError(f"{_name(path)}, line {number}: {reason} (or use `skip_invalid`)")
    if report is not None:
        report.skip(reason)


def _open_text(path) -> TextIO:
    if str(path) == "-":
        return sys.stdin
    if not Path(path).is_file():
        raise MissingInputError(f"`input` {path}: no such file")
    return open(path, encoding="utf-8-sig", newline="")  # Excel's "CSV UTF-8" starts with a BOM


def _name(path) -> str:
    return "standard input" if str(path) == "-" else str(path)


class RowWriter:
    """Writes tagged records in `fmt`: JSONL rows, redacted text (a document exactly, lines kept;
    records one per line), or the table with `column` redacted and the other columns unchanged."""

    def __init__(self, handle: TextIO, fmt: str, *, document: bool = False, column: str | None = None):
        self.handle, self.fmt, self.document, self.column = handle, fmt, document, column
        self._table: csv.DictWriter | None = None

    def write(self, row: dict, table_row: dict | None = None) -> None:
        if self.fmt == "jsonl":
            self.handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        elif self.fmt == "text":
            self.handle.write(row["masked_text"] + ("" if self.document else "\n"))
        else:
            if self._table is None:  # the input's header, in its order
                self._table = csv.DictWriter(self.handle, fieldnames=list(table_row), delimiter=DELIMITERS[self.fmt],
                                             lineterminator="\n")
                self._table.writeheader()
            self._table.writerow({**table_row, self.column: row["masked_text"]})
