"""`prepare`: read PII corpora, cap and split them by language, write the label map and stats.

The output folder (`train.jsonl`, `val.jsonl`, optional `test.jsonl`, `label_mappings.json`,
`dataset_stats.json`) is what `extract` reads; it is built whole or not at all.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean, median

import numpy as np

from extract.errors import PiiTaggerError, MissingInputError
from extract.files import atomic_write_json, atomic_write_text, output_folder
from extract.labels import AlignmentStats, LabelScheme, decode
from extract.records import ReadReport, Record, read_corpora, write_jsonl
from extract.tokens import load_tokenizer, tokenize_texts

SPLITS = ("train", "val", "test")


@dataclass
class PrepareConfig:
    data_dir: Path | None = None  # folder whose *.jsonl files are read (the older workflow's data/)
    inputs: tuple[Path, ...] = ()  # more corpus files, read after those of data_dir
    out: Path | None = None  # default: DATA_DIR/token_classification, as in the older workflow
    max_english: int | None = None  # cap on English texts (None: all), sampled with the seed
    max_french: int | None = None  # cap on French texts (None: all)
    val_fraction: float = 0.1  # share of each language held out for validation
    test_fraction: float = 0.0  # share held out for a final test split (0: no test split)
    seed: int = 42  # sampling and split seed: same seed, same split
    scheme: str = "bio"  # token label scheme: "bio", or "io" as in the older workflow
    tokenizer: str | None = None  # with a tokenizer: token counts, alignment report, oracle F1
    tokenizer_gguf_file: str | None = None  # GGUF file inside `tokenizer`, for GGUF checkpoints
    skip_invalid: bool = False  # skip bad lines (counted) instead of stopping at the first
    overwrite: bool = False  # replace an existing output folder


@dataclass
class PrepareResult:
    out: Path
    counts: dict[str, dict[str, int]]  # split -> language -> examples
    labels: int  # token labels in the scheme, O included
    read_report: ReadReport  # records read, lines skipped and why
    oracle_f1: float | None = None  # only with a tokenizer
    files: list[str] = field(default_factory=list)  # names written into `out`


def prepare(config: PrepareConfig) -> PrepareResult:
    """Read, cap, split and describe the corpora; write the prepared folder atomically."""
    _check_config(config)
    paths = _input_files(config)
    records, report = read_corpora(paths, skip_invalid=config.skip_invalid)
    records = _cap_languages(records, {"en": config.max_english, "fr": config.max_french}, config.seed)
    splits = split_by_language(records, config.val_fraction, config.test_fraction, config.seed)
    if not splits["train"]:
        raise PiiTaggerError("the train split is empty: give more data or a smaller --val-fraction")
    scheme = LabelScheme.from_records(records, config.scheme)
    stats = dataset_stats(splits, scheme)
    stats["read"] = {"files": [str(p) for p in paths], "records": report.records, "skipped": report.skipped,
                     "skip_reasons": dict(report.reasons), "trimmed_spans": report.trimmed_spans,
                     "formats": dict(report.formats)}
    oracle = None
    if config.tokenizer:
        stats["tokenizer"] = tokenizer_stats(splits, scheme, config.tokenizer, config.tokenizer_gguf_file)
        oracle = stats["tokenizer"]["oracle_span_f1"]["f1"]

    out = Path(config.out) if config.out else Path(config.data_dir) / "token_classification"
    written = []
    with output_folder(out, config.overwrite) as staging:
        for name, split_records in splits.items():
            if split_records or name != "test":
                with open(staging / f"{name}.jsonl", "w", encoding="utf-8") as handle:
                    write_jsonl(split_records, handle)
                written.append(f"{name}.jsonl")
        atomic_write_json(staging / "label_mappings.json", scheme.to_json())
        atomic_write_json(staging / "dataset_stats.json", stats)
        atomic_write_text(staging / "README.txt", _folder_readme(config))
        written += ["label_mappings.json", "dataset_stats.json"]
    counts = {name: dict(Counter(r.language for r in recs)) for name, recs in splits.items() if recs}
    return PrepareResult(out, counts, len(scheme.labels), report, oracle, written)


def _check_config(config: PrepareConfig) -> None:
    if config.data_dir is None and not config.inputs:
        raise PiiTaggerError("give --data-dir or at least one --input file")
    for name, value in (("--val-fraction", config.val_fraction), ("--test-fraction", config.test_fraction)):
        if not 0.0 <= value < 1.0:
            raise PiiTaggerError(f"{name} must be in [0, 1), got {value}")
    if config.val_fraction + config.test_fraction >= 1.0:
        raise PiiTaggerError("--val-fraction plus --test-fraction must leave some training data")
    for name, value in (("--max-english", config.max_english), ("--max-french", config.max_french)):
        if value is not None and value < 1:
            raise PiiTaggerError(f"{name} must be at least 1, got {value}")
    if config.data_dir is None and config.out is None:
        raise PiiTaggerError("give --out when no --data-dir is given")


def _input_files(config: PrepareConfig) -> list[Path]:
    paths: list[Path] = []
    if config.data_dir is not None:
        data_dir = Path(config.data_dir)
        if not data_dir.is_dir():
            raise MissingInputError(f"--data-dir {data_dir}: no such folder")
        paths = sorted(data_dir.glob("*.jsonl"))
        if not paths and not config.inputs:
            raise MissingInputError(f"--data-dir {data_dir}: no *.jsonl files in it")
    return paths + [Path(p) for p in config.inputs]


def _cap_languages(records: list[Record], caps: dict[str, int | None], seed: int) -> list[Record]:
    """Keep at most `caps[lang]` texts per language, a seeded sample in the original order."""
    by_language = defaultdict(list)
    for i, record in enumerate(records):
        by_language[record.language].append(i)
    keep = set()
    for language, indices in by_language.items():
        cap = caps.get(language)
        if cap is not None and len(indices) > cap:
            indices = random.Random(f"{seed}-{language}-cap").sample(indices, cap)
        keep.update(indices)
    return [r for i, r in enumerate(records) if i in keep]


def split_by_language(records: list[Record], val_fraction: float, test_fraction: float,
                      seed: int) -> dict[str, list[Record]]:
    """Deterministic split stratified by language; each split keeps the input order.

    Every entity type present anywhere also occurs in train (see `_cover_labels_in_train`).
    """
    assignment: dict[int, str] = {}
    for language in sorted({r.language for r in records}):
        indices = [i for i, r in enumerate(records) if r.language == language]
        random.Random(f"{seed}-{language}-split").shuffle(indices)
        n_val = int(round(len(indices) * val_fraction))
        n_test = int(round(len(indices) * test_fraction))
        if val_fraction > 0 and n_val == 0 and len(indices) > 1:
            n_val = 1
        for position, index in enumerate(indices):
            assignment[index] = "val" if position < n_val else "test" if position < n_val + n_test else "train"
    _cover_labels_in_train(records, assignment)
    splits: dict[str, list[Record]] = {name: [] for name in SPLITS}
    for i, record in enumerate(records):
        splits[assignment[i]].append(record)
    return splits


def _cover_labels_in_train(records: list[Record], assignment: dict[int, str]) -> None:
    """Move held-out texts whose entity types train lacks into train (a head cannot learn them).

    Only matters for small corpora with rare labels; the first such text of each type moves.
    """
    in_train = {s.label for i, r in enumerate(records) if assignment[i] == "train" for s in r.spans}
    for i, record in enumerate(records):
        if assignment[i] != "train" and {s.label for s in record.spans} - in_train:
            assignment[i] = "train"
            in_train |= {s.label for s in record.spans}


def _length_summary(values: list[int]) -> dict:
    if not values:
        return {"min": 0, "mean": 0, "median": 0, "p95": 0, "max": 0}
    return {"min": min(values), "mean": round(mean(values), 1), "median": median(values),
            "p95": int(np.percentile(values, 95)), "max": max(values)}


def dataset_stats(splits: dict[str, list[Record]], scheme: LabelScheme) -> dict:
    """Examples, entities per label and language, text lengths: tokenizer-free statistics."""
    stats: dict = {"scheme": scheme.scheme, "entity_types": list(scheme.entity_types), "splits": {}}
    for name, records in splits.items():
        if not records and name == "test":
            continue
        entities = defaultdict(Counter)
        for record in records:
            for span in record.spans:
                entities[record.language][span.label] += 1
        stats["splits"][name] = {
            "examples": len(records),
            "examples_per_language": dict(sorted(Counter(r.language for r in records).items())),
            "texts_without_pii": sum(not r.spans for r in records),
            "entities": sum(len(r.spans) for r in records),
            "entities_per_label": dict(sorted(sum(entities.values(), Counter()).items())),
            "entities_per_language_and_label": {lang: dict(sorted(c.items())) for lang, c in sorted(entities.items())},
            "text_characters": _length_summary([len(r.text) for r in records]),
        }
    return stats


def tokenizer_stats(splits: dict[str, list[Record]], scheme: LabelScheme, tokenizer_name: str,
                    gguf_file: str | None = None) -> dict:
    """Token counts, label distribution, the alignment report and the oracle strict span F1."""
    from evaluation.spans import score_corpus

    tokenizer = load_tokenizer(tokenizer_name, gguf_file=gguf_file)
    out: dict = {"name": tokenizer_name, "splits": {}}
    total_alignment = AlignmentStats()
    gold_all, decoded_all = [], []
    for name, records in splits.items():
        if not records:
            continue
        tokenized, alignment = tokenize_texts(tokenizer, [r.text for r in records], records, scheme)
        total_alignment.merge(alignment)
        lengths = [len(t.ids) for t in tokenized]
        label_counts = np.zeros(len(scheme.labels), dtype=np.int64)
        for tokens in tokenized:
            label_counts += np.bincount(tokens.labels, minlength=len(scheme.labels))
        out["splits"][name] = {
            "tokens": int(sum(lengths)),
            "tokens_per_text": _length_summary(lengths),
            "texts_over_512_tokens": sum(n > 512 for n in lengths),
            "label_distribution": {label: int(c) for label, c in zip(scheme.labels, label_counts) if c},
        }
        for record, tokens in zip(records, tokenized):
            gold_all.append(record.spans)
            decoded_all.append(decode(record.text, tokens.offsets, tokens.labels, scheme))
    oracle = score_corpus(gold_all, decoded_all, "strict")
    out["alignment"] = {
        "entities": total_alignment.entities,
        "inexact_entities": total_alignment.inexact,
        "lost_entities": total_alignment.lost,
        "straddling_tokens": total_alignment.straddling_tokens,
        "examples": total_alignment.examples,
    }
    out["oracle_span_f1"] = {"precision": oracle.total.precision, "recall": oracle.total.recall,
                             "f1": oracle.total.f1,
                             "per_label": {k: round(v.f1, 4) for k, v in sorted(oracle.per_label.items())}}
    return out


def _folder_readme(config: PrepareConfig) -> str:
    return (
        "Prepared by `cli.py prepare`. train/val(/test).jsonl: one record per line, "
        '{"id", "language", "text", "spans": [{"start", "end", "label"}]} with character offsets '
        "(end exclusive). label_mappings.json: the token label scheme. dataset_stats.json: counts.\n"
        f"Seed {config.seed}, val fraction {config.val_fraction}, test fraction {config.test_fraction}.\n"
    )
