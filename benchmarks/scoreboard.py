"""A cross-corpus scoreboard: a head (alone, and with its rule layer) and Microsoft Presidio side by
side on text neither wrote. For each known file of a folder of labelled corpora (AI4Privacy
samples, French court decisions), label-blind character P/R/F1/F5 (what a redactor hides), the
partial-leak rate (entities partly hidden, some character visible) and, where labels map, strict
span F1. Run: python benchmarks/scoreboard.py --data-dir REAL_DATA_DIR --head demo-work/head-middle
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evaluation.evaluate import prediction_metrics  # noqa: E402
from evaluation.metrics import entity_metrics  # noqa: E402
from evaluation.score import gold_scheme_of, predict_records  # noqa: E402
from extract.label_maps import LabelMap, load_label_map  # noqa: E402
from extract.records import read_corpus  # noqa: E402
from head.decoding import merge_rule_spans  # noqa: E402
from head.rules import rule_spans  # noqa: E402
from head.tagger import Tagger  # noqa: E402

from common import machine  # noqa: E402  (benchmarks/common.py)

# Coarse maps for corpora whose labels are not AI4Privacy's: the target only has to be some project
# label (the scores here are label-blind for them); null = no PII counterpart, ignored.
COARSE_200K = LabelMap("openlabels-coarse", {
    "NAME": "FIRSTNAME", "EMAIL": "EMAIL", "PHONE": "PHONENUMBER", "IBAN": "IBAN", "SSN": "SSN", "IP": "IPV4",
    "URL": "URL", "ADDRESS": "STREET", "DOB": "DATE", "ACCOUNT": "ACCOUNTNUMBER", "CREDIT_CARD": "CREDITCARDNUMBER"})
ECHR = LabelMap("echr-coarse", {
    "PER": "LASTNAME", "LEGAL_PROFESSIONAL": "LASTNAME", "LOC": "CITY", "ORG": "COMPANYNAME", "DATE": "DATE",
    "DATETIME": "DATE", "TIME": "TIME", "CODE": "ACCOUNTNUMBER",
    # Not personal data in the project's sense: a prediction there is neither a hit nor a false alarm.
    "QUANTITY": None, "NATIONALITY": None, "ETHNIC_CATEGORY": None, "CURRENCY": None})
# The same judgments in this project's scope (personal data as French court-decision pseudonymisation
# hides it): the folder's `echr_fr_pii.map.json` lists the labels that become ignored regions there.
PII_SCOPE_MAP_FILE = "echr_fr_pii.map.json"


@dataclass(frozen=True)
class Corpus:
    file: str
    label_map: LabelMap | str
    full_gold: bool  # False: most PII carries no span; only recall means something
    strict: bool  # labels map onto the project's: strict span F1 is meaningful
    note: str


CORPORA = (
    Corpus("ai4p200k_en_head.jsonl", "ai4privacy-200k", True, True, "AI4Privacy 200k (EN), 56 labels mapped"),
    Corpus("ai4p200k_en_coarse.jsonl", COARSE_200K, False, False, "AI4Privacy 200k (EN), 11 coarse labels, partial"),
    Corpus("ai4p500k_fr_partial.jsonl", "ai4privacy-500k", False, False, "AI4Privacy 500k (FR), phone/email/card only"),
    Corpus("echr_fr_pii.jsonl", PII_SCOPE_MAP_FILE, True, False, "ECHR judgments (FR), in the PII scope: "
                                                                 "organisations, countries, case numbers ignored"),
    Corpus("echr_fr_manual.jsonl", ECHR, True, False, "ECHR judgments (FR), full scope (organisations and "
                                                      "case numbers to hide); quantities, nationalities ignored"),
)


def corpus_map(corpus: Corpus, data_dir: Path) -> LabelMap:
    if corpus.label_map == PII_SCOPE_MAP_FILE:
        ignored = json.loads((data_dir / PII_SCOPE_MAP_FILE).read_text(encoding="utf-8"))
        return LabelMap("echr-pii", {**ECHR.mapping, **{label: None for label in ignored}})
    return load_label_map(corpus.label_map) if isinstance(corpus.label_map, str) else corpus.label_map


def figures(metrics: dict, corpus: Corpus) -> dict:
    entity = metrics["entity"]
    char = entity["char"]["overall"]
    row = {"char_precision": char["precision"], "char_recall": char["recall"], "char_f1": char["f1"],
           "char_f5": char["f5"], "partial_leaks": char["partial_leak_rate"],
           "strict_f1": entity["strict"]["overall"]["f1"] if corpus.strict else None}
    if not corpus.full_gold:
        row.update(char_precision=None, char_f1=None, char_f5=None)
    return row


def fmt(value) -> str:
    return "–" if value is None else f"{value:.3f}"


@click.command()
@click.option("--data-dir", type=click.Path(path_type=Path, exists=True, file_okay=False), required=True,
              help="Folder holding the labelled corpora (evaluation only; never copied into this repository).")
@click.option("--head", type=click.Path(path_type=Path), default=Path("demo-work/head-middle"), show_default=True,
              help="Head folder to score.")
@click.option("--limit", type=int, help="At most this many texts per file (quick runs).")
@click.option("--no-peer", is_flag=True, help="Skip Presidio (the `peers` extra is not installed).")
@click.option("--corpus", "only", multiple=True, type=click.Choice([corpus.file for corpus in CORPORA]),
              help="Score only this file, repeatable [default: every file of the folder].")
@click.option("--out", type=click.Path(path_type=Path), help="Also write the table (Markdown) and figures (JSON) here.")
def main(data_dir, head, limit, no_peer, only, out):
    """Example: python benchmarks/scoreboard.py --data-dir ~/real-data --head demo-work/head-middle"""
    tagger = Tagger.from_pretrained(head)
    default = tagger.loaded  # the head's default operating point, rules on or off as chosen on val
    tagger.loaded = dataclasses.replace(default, rules=False)  # alone; the rule layer is merged below
    rows = []
    for corpus in (c for c in CORPORA if not only or c.file in only):
        path = data_dir / corpus.file
        if not path.is_file():
            print(f"skipping {corpus.file}: not in {data_dir}")
            continue
        records = list(read_corpus(path, label_map=corpus_map(corpus, data_dir)))[:limit]
        started = time.perf_counter()
        gold_scheme = gold_scheme_of(records, tagger.loaded.scheme.scheme)
        predictions = predict_records(tagger, records, gold_scheme)
        alone, _ = prediction_metrics(predictions, tagger.loaded, gold_scheme, corpus.file)
        ours_seconds = time.perf_counter() - started
        predictions.spans = [merge_rule_spans(spans, rule_spans(r.text)) for spans, r in zip(predictions.spans, records)]
        ruled, _ = prediction_metrics(predictions, tagger.loaded, gold_scheme, corpus.file)
        row = {"file": corpus.file, "texts": len(records), "note": corpus.note, "full_gold": corpus.full_gold,
               "ours": figures(alone, corpus), "ours+rules": figures(ruled, corpus), "ours_seconds": ours_seconds}
        if not no_peer:
            from presidio_peer import presidio_spans

            started = time.perf_counter()
            predicted = [[] for _ in records]
            for language in sorted({r.language for r in records}):
                indices = [i for i, r in enumerate(records) if r.language == language]
                for i, spans in zip(indices, presidio_spans([records[i].text for i in indices], language)):
                    predicted[i] = spans
            peer = entity_metrics([list(r.spans) for r in records], predicted, [r.language for r in records],
                                  texts=[r.text for r in records], ignored=[list(r.ignored) for r in records])
            row["presidio"] = figures({"entity": peer}, corpus)
            row["presidio_seconds"] = time.perf_counter() - started
        rows.append(row)
        print(json.dumps(row))

    stamp = dt.datetime.now().strftime("%Y-%m-%d")
    lines = [f"Scoreboard of {stamp} on {machine()}; head `{head}` at its {default.operating_point} point "
             f"(O bias {default.outside_bias:g}, threshold {default.threshold:.3f}, word scores "
             f"{default.word_scores}; predict's default has the rule layer {'on' if default.rules else 'off'}).", "",
             "| Corpus | Texts | Tool | Char P | Char R | Char F1 | Char F5 | Partial leaks | Strict F1 |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|"]
    names = {"ours": "head alone", "ours+rules": "head + rules", "presidio": "Presidio"}
    for row in rows:
        for tool, name in names.items():
            if tool in row:
                f = row[tool]
                lines.append(f"| {row['note']} | {row['texts']} | {name} | {fmt(f['char_precision'])} | "
                             f"{fmt(f['char_recall'])} | {fmt(f['char_f1'])} | {fmt(f['char_f5'])} | "
                             f"{fmt(f['partial_leaks'])} | {fmt(f['strict_f1'])} |")
    table = "\n".join(lines)
    print(table)
    if out:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.with_suffix(".md").write_text(table + "\n", encoding="utf-8")
        out.with_suffix(".json").write_text(json.dumps({"date": stamp, "machine": machine(), "head": str(head),
                                                         "rows": rows}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
