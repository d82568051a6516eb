"""`score`: how a head does on any labelled file, in one command and without building a cache.

It is `predict` (the backbone runs on the texts) followed by the metrics and report of `evaluate`,
so the figures equal those of prepare + extract + evaluate on the same file.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from evaluation.configs import ScoreConfig
from evaluation.evaluate import Predictions, prediction_metrics, write_head_outputs
from evaluation.report import summary_rows
from extract.errors import PiiTaggerError
from extract.files import check_can_write, check_disjoint, output_folder
from extract.label_maps import load_label_map
from extract.labels import LabelScheme, encode
from extract.records import ReadReport, Record, read_corpora
from head.checkpoint import load_head
from head.tagger import Tagger, text_groups


@dataclass
class ScoreResult:
    out: Path
    metrics: dict
    texts: int
    read_report: ReadReport
    seconds: float
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> list[tuple[str, str]]:
        """(name, value) rows for the command's closing summary."""
        skipped = f", {self.read_report.skipped} invalid lines skipped" if self.read_report.skipped else ""
        return [("texts", f"{self.texts} in {self.seconds:.0f}s{skipped}"),
                *summary_rows(self.metrics), ("report", str(self.out / "report.md"))]


def gold_scheme_of(records: list[Record], scheme: str) -> LabelScheme:
    """The label scheme of the records' own gold labels (mapped onto the head's by name later)."""
    return LabelScheme(scheme, tuple(sorted({s.label for r in records for s in r.spans})))


def predict_records(tagger: Tagger, records: list[Record], gold_scheme: LabelScheme,
                    progress: bool = True) -> Predictions:
    """Tag the records' texts with the backbone and head, group by group, next to their gold tokens."""
    predictions = Predictions()
    position = 0
    with tqdm(total=len(records), unit="text", desc="score", disable=not progress, dynamic_ncols=True) as bar:
        for group in text_groups([r.text for r in records]):
            group_records = records[position:position + len(group)]
            position += len(group)
            tokenized, tagging = tagger.tag_block(group)
            gold = [encode(r.text, t.offsets, r.spans, gold_scheme, r.ignored)[0]
                    for r, t in zip(group_records, tokenized)]
            predictions.add(group_records, np.concatenate(gold) if gold else np.zeros(0, np.int16), tagging)
            bar.update(len(group))
    return predictions


def score(config: ScoreConfig) -> ScoreResult:
    """Tag every text of `config.data` with the head and score it against the files' gold spans."""
    started = time.perf_counter()
    if not config.data:
        raise PiiTaggerError("give at least one `data` file")
    out = Path(config.out) if config.out else Path(config.head) / f"score-{Path(config.data[0]).stem}"
    check_disjoint(out, config.data)
    check_disjoint(out, [config.head], allow_inside=True)  # the default report folder lives in the head
    check_can_write(out, config.overwrite, kind="score")
    label_map = load_label_map(config.label_map) if config.label_map else None
    records, report = read_corpora(config.data, skip_invalid=config.skip_invalid, label_map=label_map)
    loaded = load_head(config.head).at_point(config.operating_point, config.rules)  # before the backbone loads
    tagger = Tagger.from_pretrained(loaded, config.model, gguf_file=config.gguf_file, device=config.device,
                                    dtype=config.dtype, batch_tokens=config.batch_tokens,
                                    allow_other_backbone=config.allow_other_backbone)
    gold_scheme = gold_scheme_of(records, tagger.loaded.scheme.scheme)
    predictions = predict_records(tagger, records, gold_scheme, config.progress)
    name = ", ".join(Path(p).name for p in config.data)
    metrics, notes = prediction_metrics(predictions, tagger.loaded, gold_scheme, name, None,
                                        config.examples_per_class)
    metrics["data"] = {"files": [str(p) for p in config.data], "label_map": label_map.name if label_map else None,
                       "skipped_lines": report.skipped}
    with output_folder(out, config.overwrite, kind="score") as staging:
        write_head_outputs(staging, metrics, config.examples_per_class)
    return ScoreResult(out, metrics, len(records), report, time.perf_counter() - started, notes)
