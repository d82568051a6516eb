"""`predict`: tag and redact the texts a user has, a TEXT argument or a JSONL file (or stdin).

Checks every option and file before the backbone loads, then streams texts through the tagger
group by group, so memory stays bounded however long the input is.
"""

from __future__ import annotations

import collections
import contextlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, Iterable, Iterator

from tqdm.auto import tqdm

from extract.errors import MissingInputError, PiiTaggerError
from extract.files import atomic_open, check_output_file
from extract.records import ReadReport, check_text
from extract.weights import local_backbone
from head.checkpoint import load_head
from head.configs import PredictConfig
from head.documents import (DELIMITERS, RowWriter, count_records, input_format, output_format, read_records,
                            table_column)
from head.html_view import PAGE_END, page_start, text_section
from head.operators import Redactor, parse_operators, read_salt
from head.tagger import Tagger, labels_to_keep


@dataclass
class PredictResult:
    texts: int = 0  # texts tagged
    spans: int = 0  # spans kept, over all texts
    threshold: float = 0.0  # the span score threshold applied
    output: Path | None = None  # the file written, if any
    input: Path | None = None  # the file read, if any ("-": standard input)
    read_report: ReadReport = field(default_factory=ReadReport)  # input lines skipped, and why
    salt: str | None = None  # where `hash`'s salt came from, when a hash operator ran
    mapping: Path | None = None  # the surrogate -> original file written, if any
    html: Path | None = None  # the web page written, if any

    def summary(self) -> list[tuple[str, str]]:
        """(name, value) rows for the command's closing summary."""
        return [("texts", str(self.texts)), ("spans", str(self.spans)), ("threshold", f"{self.threshold:.3f}"),
                *([("hash salt", self.salt)] if self.salt else []),
                ("wrote", ", ".join([str(self.output)] + ([f"{self.html} (the original texts, mode 0600)"]
                                                          if self.html else [])
                                    + ([f"{self.mapping} (surrogate -> original: personal data, mode 0600)"]
                                       if self.mapping else [])))]

    def skipped_note(self) -> str | None:
        """One line on the input lines skipped as invalid, or None."""
        report = self.read_report
        if not report.skipped:
            return None
        return f"skipped {report.skipped} invalid lines of {self.input}: {report.skipped_reasons()}"


def predict(config: PredictConfig, emit: Callable[[dict], None] | None = None) -> PredictResult:
    """Tag `config.text` or `config.input`; each row goes to `config.output` or else to `emit`."""
    if (config.text is None) == (config.input is None):
        raise PiiTaggerError("give either a `text` or an `input` file (\"-\" reads standard input)")
    if config.min_score is not None and not 0.0 <= config.min_score <= 1.0:
        raise PiiTaggerError(f"`min_score` must be in [0, 1], got {config.min_score}")
    if config.input is not None and str(config.input) != "-" and not Path(config.input).is_file():
        if Path(config.input).is_dir():
            raise PiiTaggerError(f"`input` {config.input} is a folder; give a file (or \"-\" for standard input)")
        raise MissingInputError(f"`input` {config.input}: no such file")
    if config.text is not None:
        check_text(config.text, "`text`")
    read_as = "jsonl" if config.input is None else input_format(config.input, config.format)
    write_as = output_format(config.output, read_as)
    column = table_column(config.input, read_as, config.column) \
        if read_as in DELIMITERS and str(config.input) != "-" else config.column
    if config.output is None and emit is None and write_as == "jsonl":
        raise PiiTaggerError("give an `output` file, or a function that receives each row")
    loaded = load_head(config.head).at_point(config.operating_point, config.rules)
    backbone = local_backbone(loaded.backbone_source(config.model)[0])
    if config.output is not None:
        check_output_file(config.output, config.overwrite, "output", inputs=[config.input, config.head, *backbone])
    for setting in ("mapping", "html"):
        if getattr(config, setting) is not None:
            check_output_file(getattr(config, setting), config.overwrite, setting,
                              inputs=[config.input, config.head, config.output, *backbone])
    labels_to_keep(loaded.scheme.entity_types, config.labels or None)  # before the backbone loads
    operators = parse_operators(config.operators, loaded.scheme.entity_types, "operators")
    salt, salt_source = read_salt(config.salt_file)
    redactor = Redactor(operators, salt=salt)
    tagger = Tagger.from_pretrained(loaded, config.model, gguf_file=config.gguf_file, device=config.device,
                                    dtype=config.dtype, batch_tokens=config.batch_tokens,
                                    allow_other_backbone=config.allow_other_backbone)
    result = PredictResult(threshold=tagger.loaded.threshold if config.min_score is None else config.min_score,
                           output=config.output, input=config.input, mapping=config.mapping, html=config.html,
                           salt=salt_source if any(op.name == "hash" for op in operators.values()) else None)
    if config.text is not None:
        records, total = iter([("1", config.text, None)]), 1
    else:
        records = read_records(config.input, read_as, text_field=config.text_field, column=column,
                               skip_invalid=config.skip_invalid, report=result.read_report)
        total = count_records(config.input, read_as)
    table_rows: collections.deque = collections.deque()

    def pairs() -> Iterator[tuple[str, str]]:
        for record_id, text, table_row in records:
            table_rows.append(table_row)
            yield record_id, text

    # Lazily, group by group: memory stays bounded however long the input file is.
    rows = tag_rows(tagger, pairs(), config.min_score, config.labels or None, progress=config.progress, total=total,
                    redactor=redactor)

    document = read_as == "text" and config.input is not None
    with contextlib.ExitStack() as stack:
        # The page shows the original text: personal data, readable by its owner only.
        page = stack.enter_context(atomic_open(config.html, mode=0o600)) if config.html is not None else None
        if page is not None:
            page.write(page_start(f"PII found in {config.input or 'the text'}"))
        if config.output is not None:
            handle = stack.enter_context(atomic_open(config.output, newline="" if write_as in DELIMITERS else None))
            writer = RowWriter(handle, write_as, document=document, column=column)
        else:
            writer = None if write_as == "jsonl" else RowWriter(sys.stdout, write_as, document=document, column=column)
        for row in rows:
            result.texts, result.spans = result.texts + 1, result.spans + len(row["spans"])
            table_row = table_rows.popleft()
            emit(row) if writer is None else writer.write(row, table_row)
            if page is not None:
                page.write(text_section(row.get("id", result.texts), row["text"],
                                        [SimpleNamespace(**span) for span in row["spans"]]))
        if page is not None:
            page.write(PAGE_END)
    if config.mapping is not None:
        with atomic_open(config.mapping, mode=0o600) as handle:  # originals: personal data, the owner's only
            json.dump(redactor.mapping, handle, ensure_ascii=False, indent=2)
    return result


def tag_rows(tagger: "Tagger", pairs: Iterable[tuple[str, str]], min_score: float | None = None,
             labels: Iterable[str] | None = None, progress: bool = False, total: int | None = None,
             redactor: Redactor | None = None) -> Iterator[dict]:
    """(id, text) pairs -> `predict`'s JSON rows, lazily, with a progress bar (texts/s and ETA)."""
    pending: collections.deque = collections.deque()

    def texts() -> Iterator[str]:
        for record_id, text in pairs:
            pending.append(record_id)
            yield text

    with tqdm(total=total, unit="text", desc="predict", disable=not progress, dynamic_ncols=True) as bar:
        for tagged in tagger.tag_iter(texts(), min_score, labels):
            bar.update(1)
            yield tagged.to_json(pending.popleft(), redactor)
