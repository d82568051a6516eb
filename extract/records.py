"""PII corpus readers: every supported JSONL flavour becomes the same `Record`.

Formats are detected per line (AI4Privacy, pii-masking-200k, generic); bad lines raise a
`CorpusError` naming file, line and reason, or are counted and skipped with `skip_invalid`.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, NamedTuple

from extract.errors import PiiTaggerError, MissingInputError

LANGUAGES = ("en", "fr")

_LANGUAGE_ALIASES = {
    "en": "en", "eng": "en", "english": "en", "anglais": "en",
    "fr": "fr", "fra": "fr", "fre": "fr", "french": "fr", "français": "fr", "francais": "fr",
}
# pii-masking-200k numbers repeated entities: FIRSTNAME_1, FIRSTNAME_2, ...
_INSTANCE_SUFFIX = re.compile(r"_\d+$")


class Span(NamedTuple):
    """A labelled character range of a text, end exclusive."""

    start: int
    end: int
    label: str


@dataclass(frozen=True)
class Record:
    """One text with its gold PII spans, whatever file format it came from."""

    id: str  # from the record (id, uid, uuid) or FILE_STEM:LINE
    language: str  # "en" or "fr"
    text: str
    spans: tuple[Span, ...] = ()  # sorted, non-overlapping, trimmed of surrounding whitespace
    # Character ranges whose gold label has no counterpart here (a label map's `null`): their
    # tokens carry no label, and a prediction there is neither a hit nor a false alarm.
    ignored: tuple[tuple[int, int], ...] = ()  # sorted, non-overlapping, disjoint from `spans`
    template: str | None = None  # the synthetic template behind the text, for template-disjoint splits

    def to_json(self) -> dict:
        out = {
            "id": self.id,
            "language": self.language,
            "text": self.text,
            "spans": [{"start": s.start, "end": s.end, "label": s.label} for s in self.spans],
        }
        if self.ignored:
            out["ignored"] = [list(region) for region in self.ignored]
        if self.template is not None:
            out["template"] = self.template
        return out


class CorpusError(PiiTaggerError):
    """A corpus line that cannot be used, with where it is and why."""

    def __init__(self, path: Path | str, line: int | None, reason: str):
        self.path, self.line, self.reason = str(path), line, reason
        where = f"{path}, line {line}" if line is not None else str(path)
        super().__init__(f"{where}: {reason}")


@dataclass
class ReadReport:
    """What reading a corpus kept and what it skipped (with `skip_invalid`)."""

    records: int = 0  # lines kept
    skipped: int = 0  # lines skipped as invalid
    reasons: Counter = field(default_factory=Counter)  # reason -> lines skipped for it
    trimmed_spans: int = 0  # spans whose surrounding whitespace was removed
    formats: Counter = field(default_factory=Counter)  # detected format -> lines

    def skip(self, reason: str) -> None:
        """Count one line skipped as invalid, for `reason`."""
        self.skipped += 1
        self.reasons[reason] += 1

    def skipped_reasons(self, top: int = 5) -> str:
        """The most frequent reasons lines were skipped, for a summary: '3x malformed JSON; 1x ...'."""
        return "; ".join(f"{n}x {why}" for why, n in self.reasons.most_common(top))

    def merge(self, other: "ReadReport") -> None:
        self.records += other.records
        self.skipped += other.skipped
        self.reasons.update(other.reasons)
        self.trimmed_spans += other.trimmed_spans
        self.formats.update(other.formats)


def normalise_language(value: str) -> str | None:
    """'English', 'en', 'français' -> 'en' / 'fr'; None for anything else."""
    return _LANGUAGE_ALIASES.get(str(value).strip().lower())


def language_from_filename(path: Path | str) -> str | None:
    """`english_train.jsonl` -> 'en', `french_*.jsonl` or `*_fr.jsonl` -> 'fr'; else None."""
    words = re.split(r"[^a-zçé]+", Path(path).name.lower().split(".")[0])
    for word in (words[0], words[-1]):
        if normalise_language(word):
            return normalise_language(word)
    return None


def read_corpus(
    path: Path | str,
    *,
    skip_invalid: bool = False,
    report: ReadReport | None = None,
    label_map=None,
) -> Iterator[Record]:
    """Yield the records of one JSONL file, detecting the format of every line.

    Raises `CorpusError` on the first bad line unless `skip_invalid`, in which case bad
    lines are counted in `report`. An empty file, or one with no usable line, is an error.
    `label_map` (an `extract.label_maps.LabelMap`) renames labels or turns them into ignored regions.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingInputError(f"{path}: no such corpus file")
    report = report if report is not None else ReadReport()
    file_language = language_from_filename(path)
    kept = 0
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = decode_line(raw)
                if not line.strip():
                    continue
                record, fmt, trimmed = parse_line(line, default_id=f"{path.stem}:{number}",
                                                  default_language=file_language)
                if label_map is not None:
                    record = label_map.apply(record)
            except ValueError as err:
                if not skip_invalid:
                    raise CorpusError(path, number, str(err)) from None
                report.skip(_reason_kind(str(err)))
                continue
            report.formats[fmt] += 1
            report.trimmed_spans += trimmed
            report.records += 1
            kept += 1
            yield record
    if kept == 0:
        why = "it is empty" if report.skipped == 0 else f"all {report.skipped} lines were invalid"
        raise CorpusError(path, None, f"no usable records: {why}")


def decode_line(raw: bytes) -> str:
    """A line's text; bytes that are not UTF-8 mean the wrong file or a broken export: never guess."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise PiiTaggerError(f"not valid UTF-8 ({err.reason} at byte {err.start})") from None


def read_corpora(paths: Iterable[Path | str], *, skip_invalid: bool = False,
                 label_map=None) -> tuple[list[Record], ReadReport]:
    """Read several files into one list; ids must be unique across them."""
    report = ReadReport()
    records: list[Record] = []
    seen: dict[str, str] = {}
    for path in paths:
        for record in read_corpus(path, skip_invalid=skip_invalid, report=report, label_map=label_map):
            if record.id in seen:
                record = dataclasses.replace(record, id=f"{Path(path).stem}:{record.id}")
                if record.id in seen:
                    raise CorpusError(path, None, f"duplicate record id {record.id!r} (first seen in {seen[record.id]})")
            seen[record.id] = str(path)
            records.append(record)
    return records, report


def json_value(line: str, what: str) -> object:
    """A line's JSON value; one nested too deeply for Python's parser is a bad line (naming `what` it
    should have been), not a RecursionError."""
    try:
        return json.loads(line)
    except RecursionError:
        raise PiiTaggerError(f"malformed JSON (nested too deeply to be {what})") from None


def parse_line(line: str, *, default_id: str, default_language: str | None) -> tuple[Record, str, int]:
    """One JSONL line -> (record, detected format name, number of spans trimmed)."""
    try:
        obj = json_value(line, "a corpus record")
    except json.JSONDecodeError as err:
        raise PiiTaggerError(f"malformed JSON ({err.msg} at column {err.colno})") from None
    if not isinstance(obj, dict):
        raise PiiTaggerError(f"expected a JSON object, got {type(obj).__name__}")

    if "privacy_mask" in obj and ("source_text" in obj or "unmasked_text" in obj):
        fmt, text = "ai4privacy", _text_field(obj, "source_text", "unmasked_text")
        raw_spans = _spans_from_privacy_mask(obj["privacy_mask"])
    elif "span_labels" in obj:
        fmt, text = "pii-masking-200k", _text_field(obj, "unmasked_text", "source_text")
        raw_spans = _spans_from_span_labels(obj["span_labels"])
    elif "text" in obj and ("spans" in obj or "entities" in obj):
        field_name = "spans" if "spans" in obj else "entities"
        fmt, text = "generic", _text_field(obj, "text")
        raw_spans = _spans_from_generic(obj[field_name], field_name)
    else:
        raise PiiTaggerError(
            "unrecognised record: expected `source_text` + `privacy_mask` (AI4Privacy), "
            "`unmasked_text` + `span_labels` (pii-masking-200k) or `text` + `spans` / `entities` (generic); "
            f"found keys {sorted(obj)[:8]}"
        )

    language = _record_language(obj, default_language)
    spans, trimmed = _validate_spans(text, raw_spans)
    ignored = _ignored_regions(obj.get("ignored", []), text, spans)
    template = obj.get("template")
    if template is not None and not isinstance(template, str):
        raise PiiTaggerError(f"field `template` is {type(template).__name__}, expected a string")
    record_id = obj.get("id", obj.get("uid", obj.get("uuid", default_id)))
    return Record(str(record_id), language, text, spans, ignored, template), fmt, trimmed


def _ignored_regions(value, text: str, spans: tuple[Span, ...]) -> tuple[tuple[int, int], ...]:
    """`ignored: [[start, end], ...]` of a prepared record: in range, sorted, apart from the spans."""
    if not isinstance(value, list):
        raise PiiTaggerError("field `ignored` must be a list of [start, end]")
    regions = []
    for i, item in enumerate(value):
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            raise PiiTaggerError(f"ignored[{i}] must be [start, end]")
        start, end = _as_int(item[0], f"ignored[{i}][0]"), _as_int(item[1], f"ignored[{i}][1]")
        if not 0 <= start < end <= len(text):
            raise PiiTaggerError(f"ignored region [{start}, {end}) is out of range for a text of {len(text)} characters")
        regions.append((start, end))
    regions.sort()
    for (_, previous_end), (start, _) in zip(regions, regions[1:]):
        if start < previous_end:
            raise PiiTaggerError(f"ignored regions overlap at character {start}")
    for start, end in regions:
        for span in spans:
            if span.start < end and start < span.end:
                raise PiiTaggerError(f"ignored region [{start}, {end}) overlaps the span [{span.start}, {span.end}) "
                                     f"{span.label}")
    return tuple(regions)


def _text_field(obj: dict, *names: str) -> str:
    for name in names:
        if name in obj:
            text = obj[name]
            if not isinstance(text, str):
                raise PiiTaggerError(f"field `{name}` is {type(text).__name__}, expected a string")
            if not text.strip():
                raise PiiTaggerError(f"field `{name}` is empty")
            check_text(text, f"field `{name}`")
            return text
    raise PiiTaggerError(f"missing text field (one of {', '.join(names)})")


def check_text(text: str, what: str) -> None:
    """Refuse characters no tokenizer or HDF5 string can carry: NUL and lone surrogates."""
    nul = text.find("\x00")  # guard: nul-and-surrogates
    if nul >= 0:
        raise PiiTaggerError(f"{what} holds a NUL character (\\u0000) at position {nul}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise PiiTaggerError(f"{what} holds a lone surrogate ({text[err.start]!r}) at position {err.start}, "
                             "which is not valid Unicode text") from None


def _record_language(obj: dict, default: str | None) -> str:
    raw = obj.get("language", obj.get("lang"))
    if raw is None:
        if default is None:
            raise PiiTaggerError(
                "no language: the record has no `language` field and the file name does not "
                "start with english_ or french_"
            )
        return default
    language = normalise_language(raw)
    if language is None:
        raise PiiTaggerError(f"unknown language {raw!r} (expected one of: en, fr, English, French)")
    return language


def _literal(value, field_name: str):
    """A field that is JSON already, or a JSON/Python-literal string of it (never `eval`)."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except (json.JSONDecodeError, RecursionError):
        pass
    try:
        return ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise PiiTaggerError(f"field `{field_name}` is a string that is neither JSON nor a Python literal") from None


def _spans_from_privacy_mask(value) -> list[tuple[int, int, str, str | None]]:
    items = _literal(value, "privacy_mask")
    if not isinstance(items, list):
        raise PiiTaggerError("field `privacy_mask` must be a list")
    spans = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not {"start", "end", "label"} <= item.keys():
            raise PiiTaggerError(f"privacy_mask[{i}] must be an object with start, end and label")
        spans.append((_as_int(item["start"], f"privacy_mask[{i}].start"),
                      _as_int(item["end"], f"privacy_mask[{i}].end"),
                      _INSTANCE_SUFFIX.sub("", str(item["label"])), item.get("value")))
    return spans


def _spans_from_span_labels(value) -> list[tuple[int, int, str, str | None]]:
    items = _literal(value, "span_labels")
    if not isinstance(items, (list, tuple)):
        raise PiiTaggerError("field `span_labels` must be a list of [start, end, label]")
    spans = []
    for i, item in enumerate(items):
        if not isinstance(item, (list, tuple)) or len(item) != 3:
            raise PiiTaggerError(f"span_labels[{i}] must be [start, end, label]")
        start, end, label = item
        label = _INSTANCE_SUFFIX.sub("", str(label))
        if label == "O":
            continue
        spans.append((_as_int(start, f"span_labels[{i}][0]"), _as_int(end, f"span_labels[{i}][1]"), label, None))
    return spans


def _spans_from_generic(value, field_name: str = "spans") -> list[tuple[int, int, str, str | None]]:
    items = _literal(value, field_name)
    if not isinstance(items, list):
        raise PiiTaggerError(f"field `{field_name}` must be a list")
    spans = []
    for i, item in enumerate(items):
        where = f"{field_name}[{i}]"
        if isinstance(item, dict) and {"start", "end", "label"} <= item.keys():
            spans.append((_as_int(item["start"], f"{where}.start"), _as_int(item["end"], f"{where}.end"),
                          str(item["label"]), item.get("value", item.get("text"))))
        elif isinstance(item, (list, tuple)) and len(item) == 3:
            spans.append((_as_int(item[0], f"{where}[0]"), _as_int(item[1], f"{where}[1]"), str(item[2]), None))
        else:
            raise PiiTaggerError(f"{where} must be {{start, end, label}} or [start, end, label]")
    return spans


def _as_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PiiTaggerError(f"{name} is {value!r}, expected an integer")
    return value


def _validate_spans(text: str, raw: list[tuple[int, int, str, str | None]]) -> tuple[tuple[Span, ...], int]:
    """Check bounds, values and overlaps; trim surrounding whitespace. Returns (spans, trimmed)."""
    spans: list[Span] = []
    trimmed = 0
    for start, end, label, value in raw:
        if not label or label == "O":
            raise PiiTaggerError(f"span [{start}, {end}) has no entity label")
        if not 0 <= start < end <= len(text):
            raise PiiTaggerError(f"span [{start}, {end}) {label} is out of range for a text of {len(text)} characters")
        if value is not None and text[start:end] != value:
            raise PiiTaggerError(
                f"span [{start}, {end}) {label}: value {value!r} differs from the text there {text[start:end]!r}"
            )
        new_start = start + (len(text[start:end]) - len(text[start:end].lstrip()))
        new_end = end - (len(text[start:end]) - len(text[start:end].rstrip()))
        if new_start >= new_end:
            raise PiiTaggerError(f"span [{start}, {end}) {label} covers only whitespace")
        trimmed += (new_start, new_end) != (start, end)
        spans.append(Span(new_start, new_end, label))
    spans.sort()
    for previous, current in zip(spans, spans[1:]):
        if current.start < previous.end:
            raise PiiTaggerError(
                f"overlapping spans [{previous.start}, {previous.end}) {previous.label} and "
                f"[{current.start}, {current.end}) {current.label}"
            )
    return tuple(spans), trimmed


def _reason_kind(message: str) -> str:
    """Group skip reasons for the summary: drop the numbers and quoted values."""
    kind = re.sub(r"'[^']*'|\"[^\"]*\"|\[[^\]]*\)|\d+", "…", message)
    return kind[:90]


def write_jsonl(records: Iterable[Record], handle) -> int:
    """Write records as normalised JSONL lines to an open text handle; returns the count."""
    count = 0
    for record in records:
        handle.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
        count += 1
    return count


def load_prepared(path: Path | str) -> list[Record]:
    """Read a normalised JSONL written by `prepare` (the generic format, strictly checked)."""
    return list(read_corpus(path))
