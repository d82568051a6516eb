"""`prepare`: read PII corpora, cap and split them by language, write the label map and stats.

The output folder (`train.jsonl`, `val.jsonl`, optional `test.jsonl`, `label_mappings.json`,
`dataset_stats.json`) is what `extract` reads; it is built whole or not at all.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean, median

import numpy as np

from extract.errors import PiiTaggerError, MissingInputError
from extract.files import atomic_write_json, atomic_write_text, check_can_write, check_disjoint, output_folder
from extract.label_maps import load_label_map
from extract.labels import IGNORE_LABEL, AlignmentStats, LabelScheme, decode, same_word
from extract.records import ReadReport, Record, read_corpora, write_jsonl
from extract.schema import SPLITS
from extract.tokens import load_tokenizer, tokenize_texts

SPLIT_BY = ("auto", "template", "random")


@dataclass(kw_only=True)
class PrepareConfig:
    data_dir: Path | None = None  # folder whose *.jsonl files are read
    inputs: tuple[Path, ...] = ()  # more corpus files, read after those of data_dir
    out: Path | None = None  # default: DATA_DIR/token_classification, beside the corpora it came from
    max_english: int | None = None  # cap on English texts (None: all), sampled with the seed
    max_french: int | None = None  # cap on French texts (None: all)
    val_fraction: float = 0.1  # share of each language held out for validation: what chooses epochs, trials, threshold
    test_fraction: float = 0.1  # share held out for the reported figures, never used to choose anything (0: none)
    seed: int = 42  # sampling and split seed: same seed, same split
    # "template": each synthetic template in exactly one split, so val/test measure sentence shapes
    # the head never saw; "random": texts apart; "auto": template when every record names one.
    split_by: str = "auto"
    label_map: str | None = None  # built-in name (ai4privacy-200k, ...) or JSON file: rename or ignore labels
    scheme: str = "bio"  # token label scheme: "bio" keeps adjacent entities apart; "io" has one label per type
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
    split_by: str = "random"  # how texts were kept apart: "template" or "random"
    spans_splitting_words: int = 0  # gold spans starting or ending inside a run of letters/digits
    scheme: str = "bio"  # the token label scheme written

    def summary(self) -> list[tuple[str, str]]:
        """(name, value) rows for the command's closing summary."""
        report = self.read_report
        rows = [(split, ", ".join(f"{n} {lang}" for lang, n in sorted(c.items()))) for split, c in self.counts.items()]
        apart = " (no template in two splits)" if self.split_by == "template" else ""
        rows.append(("split by", self.split_by + apart))
        rows.append(("labels", f"{self.labels} token labels ({self.scheme})"))
        if report.skipped:
            rows.append(("skipped", f"{report.skipped} invalid lines: {report.skipped_reasons()}"))
        if report.trimmed_spans:
            rows.append(("trimmed", f"{report.trimmed_spans} spans had surrounding whitespace removed"))
        if self.spans_splitting_words:
            rows.append(("word cuts", f"{self.spans_splitting_words} gold spans start or end inside a word "
                                      "(see dataset_stats.json)"))
        if self.oracle_f1 is not None:
            rows.append(("oracle F1", f"{self.oracle_f1:.4f} (strict spans after encode -> decode with this "
                                      "tokenizer)"))
        rows.append(("wrote", f"{self.out}/ ({', '.join(self.files)})"))
        return rows


def prepare(config: PrepareConfig) -> PrepareResult:
    """Read, cap, split and describe the corpora; write the prepared folder atomically."""
    _check_config(config)
    label_map = load_label_map(config.label_map) if config.label_map else None
    paths = _input_files(config)
    out = Path(config.out) if config.out else Path(config.data_dir) / "token_classification"
    # The default output lives inside data_dir; it may not be data_dir itself.
    check_disjoint(out, [config.data_dir], allow_inside=True)
    check_disjoint(out, config.inputs)
    check_can_write(out, config.overwrite, kind="prepared")
    records, report = read_corpora(paths, skip_invalid=config.skip_invalid, label_map=label_map)
    records = _cap_languages(records, {"en": config.max_english, "fr": config.max_french}, config.seed)
    split_by = resolve_split_by(records, config.split_by)
    splits = split_records(records, config.val_fraction, config.test_fraction, config.seed, split_by)
    if not splits["train"]:
        raise PiiTaggerError("the train split is empty: give more data or a smaller `val_fraction`")
    scheme = LabelScheme.from_records(records, config.scheme)
    stats = dataset_stats(splits, scheme)
    stats["split"] = {"by": split_by, "val_fraction": config.val_fraction, "test_fraction": config.test_fraction,
                      "seed": config.seed,
                      "templates": {name: len({r.template for r in recs}) for name, recs in splits.items()
                                    if recs and split_by == "template"}}
    stats["read"] = {"files": [str(p) for p in paths], "records": report.records, "skipped": report.skipped,
                     "skip_reasons": dict(report.reasons), "trimmed_spans": report.trimmed_spans,
                     "formats": dict(report.formats), "label_map": label_map.name if label_map else None,
                     "ignored_regions": sum(len(r.ignored) for r in records)}
    stats["spans_splitting_words"] = spans_splitting_words(records)
    oracle = None
    if config.tokenizer:
        stats["tokenizer"] = tokenizer_stats(splits, scheme, config.tokenizer, config.tokenizer_gguf_file)
        oracle = stats["tokenizer"]["oracle_span_f1"]["f1"]

    written = []
    with output_folder(out, config.overwrite, kind="prepared") as staging:
        for name, records_of_split in splits.items():
            if records_of_split or name != "test":
                with open(staging / f"{name}.jsonl", "w", encoding="utf-8") as handle:
                    write_jsonl(records_of_split, handle)
                written.append(f"{name}.jsonl")
        atomic_write_json(staging / "label_mappings.json", scheme.to_json())
        atomic_write_json(staging / "dataset_stats.json", stats)
        atomic_write_text(staging / "README.txt", _folder_readme(config))
        written += ["label_mappings.json", "dataset_stats.json"]
    counts = {name: dict(Counter(r.language for r in recs)) for name, recs in splits.items() if recs}
    return PrepareResult(out, counts, len(scheme.labels), report, oracle, written, split_by,
                         stats["spans_splitting_words"]["count"], config.scheme)


def _check_config(config: PrepareConfig) -> None:
    if config.data_dir is None and not config.inputs:
        raise PiiTaggerError("give `data_dir` or at least one file in `inputs`")
    for name, value in (("val_fraction", config.val_fraction), ("test_fraction", config.test_fraction)):
        if not 0.0 <= value < 1.0:
            raise PiiTaggerError(f"`{name}` must be in [0, 1), got {value}")
    if config.val_fraction + config.test_fraction >= 1.0:
        raise PiiTaggerError("`val_fraction` plus `test_fraction` must leave some training data")
    for name, value in (("max_english", config.max_english), ("max_french", config.max_french)):
        if value is not None and value < 1:
            raise PiiTaggerError(f"`{name}` must be at least 1, got {value}")
    if config.data_dir is None and config.out is None:
        raise PiiTaggerError("give `out` when no `data_dir` is given")
    if config.split_by not in SPLIT_BY:
        raise PiiTaggerError(f"`split_by`: unknown value {config.split_by!r} (expected one of: {', '.join(SPLIT_BY)})")


def _input_files(config: PrepareConfig) -> list[Path]:
    paths: list[Path] = []
    if config.data_dir is not None:
        data_dir = Path(config.data_dir)
        if not data_dir.is_dir():
            raise MissingInputError(f"`data_dir` {data_dir}: no such folder")
        paths = sorted(data_dir.glob("*.jsonl"))
        if not paths and not config.inputs:
            raise MissingInputError(f"`data_dir` {data_dir}: no *.jsonl files in it")
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


def resolve_split_by(records: list[Record], split_by: str) -> str:
    """"auto" -> "template" when every record names its template, else "random"."""
    missing = sum(r.template is None for r in records)
    if split_by == "auto":
        return "template" if records and missing == 0 else "random"
    if split_by == "template" and missing:
        raise PiiTaggerError(f"`split_by` template: {missing} of {len(records)} records have no `template` field "
                             "(only `cli.py synth` writes one); use `split_by` random")
    return split_by


def split_records(records: list[Record], val_fraction: float, test_fraction: float, seed: int,
                  split_by: str = "random") -> dict[str, list[Record]]:
    """Deterministic train/val/test split, stratified by language; each split keeps the input order.

    With `split_by="template"` the units moved between splits are whole templates (strata: language,
    and whether the template has PII), so no sentence shape is in two splits. Every entity type
    present anywhere also occurs in train (see `_cover_labels_in_train`).
    """
    groups: dict[tuple, list[int]] = defaultdict(list)  # (language, has PII, unit) -> record indices
    for i, record in enumerate(records):
        if split_by == "template":
            groups[(record.language, True, record.template)].append(i)
        else:
            groups[(record.language, True, i)].append(i)
    if split_by == "template":  # a template is "with PII" when any of its texts has some
        groups = {(lang, any(records[i].spans for i in members), unit): members
                  for (lang, _, unit), members in groups.items()}
    assignment: dict[int, str] = {}
    for stratum in sorted({key[:2] for key in groups}):
        # Each unit's place comes from a hash of (seed, stratum, unit) alone, not from a shuffle of
        # the list: a template added to the corpus lands somewhere in the order and moves only a few
        # units near the val/test and test/train edges, so before/after comparisons keep their splits.
        units = sorted((key for key in groups if key[:2] == stratum), key=lambda key: _unit_rank(seed, key))
        total = sum(len(groups[key]) for key in units)
        wanted = {"val": total * val_fraction, "test": total * test_fraction}
        taken = {"val": 0, "test": 0}
        for position, key in enumerate(units):
            remaining = len(units) - position
            # Fill val, then test, a unit at a time; keep at least one unit for train.
            split = next((name for name in ("val", "test") if taken[name] < wanted[name] - len(groups[key]) / 2
                          and remaining > 1), "train")
            if split == "train" and position == 0 and len(units) > 2 and val_fraction > 0:
                split = "val"  # a tiny stratum still gives val something to measure
            taken[split] = taken.get(split, 0) + len(groups[key])
            for index in groups[key]:
                assignment[index] = split
    _cover_labels_in_train(records, assignment, groups)
    splits: dict[str, list[Record]] = {name: [] for name in SPLITS}
    for i, record in enumerate(records):
        splits[assignment[i]].append(record)
    return splits


def _unit_rank(seed: int, key: tuple) -> str:
    """Where a unit (language, has PII, template or record) falls in its stratum's order."""
    language, has_pii, unit = key
    return hashlib.sha256(f"{seed}-{language}-{int(has_pii)}-{unit}".encode()).hexdigest()


def _cover_labels_in_train(records: list[Record], assignment: dict[int, str], groups: dict[tuple, list[int]]) -> None:
    """Move held-out units whose entity types train lacks into train (a head cannot learn them).

    Only matters for small corpora with rare labels; the first such unit of each type moves, whole.
    """
    in_train = {s.label for i, r in enumerate(records) if assignment[i] == "train" for s in r.spans}
    for members in groups.values():
        if assignment[members[0]] == "train":
            continue
        labels = {s.label for i in members for s in records[i].spans}
        if labels - in_train:
            for i in members:
                assignment[i] = "train"
            in_train |= labels


def spans_splitting_words(records: list[Record], keep: int = 10) -> dict:
    """Gold spans whose start or end falls inside a word (`extract.labels.same_word`): a word-level
    tagger cannot reproduce them exactly (predicted spans never cut a word)."""
    count, examples = 0, []
    for record in records:
        text = record.text
        for span in record.spans:
            cuts_start = 0 < span.start and same_word(text[span.start - 1], text[span.start])
            cuts_end = span.end < len(text) and same_word(text[span.end - 1], text[span.end])
            if cuts_start or cuts_end:
                count += 1
                if len(examples) < keep:
                    examples.append({"id": record.id, "label": span.label, "span": text[span.start:span.end],
                                     "context": text[max(0, span.start - 15):span.end + 15]})
    return {"count": count, "examples": examples}


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
    from extract.span_metrics import score_corpus

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
            labelled = tokens.labels[tokens.labels != IGNORE_LABEL]  # tokens of ignored regions carry no label
            label_counts += np.bincount(labelled, minlength=len(scheme.labels))
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
