"""Markdown report and comparison built from real metric dicts: headline figures, tables that
stay tables, no figures carried from other data."""

from __future__ import annotations

import re

import pytest

from evaluation.report import HEADLINE, headline_figures, render_comparison, render_report
from tests.helpers import sample_metrics


# Figures reports once carried from other data ("older workflow ... 0.87–0.89, ... few-shot").
FIXED_FIGURES = re.compile(r"older workflow|few-shot|\d\.\d+\s*[–-]\s*\d\.\d+", re.IGNORECASE)


def test_report_contains_headline_numbers_and_per_class_rows():
    metrics = sample_metrics()
    report = render_report(metrics)
    strict = metrics["entity"]["strict"]["overall"]
    assert f"| Strict span F1 | {strict['f1']:.3f} |" in report
    assert f"| Strict span precision | {strict['precision']:.3f} |" in report
    detection = metrics["entity"]["detection"]["overall"]
    assert f"| Detection F5 (recall-weighted) | {detection['f5']:.3f} |" in report
    token = metrics["token"]
    assert f"| Token macro F1 (without O) | {token['without_o']['macro']['f1']:.3f} |" in report
    assert f"| Token accuracy | {token['accuracy']:.3f} |" in report
    char = metrics["entity"]["char"]["overall"]
    for title, key in (("precision", "precision"), ("recall", "recall"), ("F1", "f1"), ("F5", "f5")):
        assert f"| Redaction {title} (characters) | {char[key]:.3f} |" in report
    # A generated report carries no fixed figures from other data.
    assert not FIXED_FIGURES.search(report)

    email = metrics["entity"]["strict"]["per_class"]["EMAIL"]
    assert f"| EMAIL | 2 | {email['pred']} | {email['precision']:.3f} |" in report
    for label in ("FIRSTNAME", "PHONE"):
        assert f"| {label} |" in report
    # Per class sorted by support: EMAIL (2 gold) before FIRSTNAME and PHONE (1 each).
    assert report.index("| EMAIL | 2 |") < report.index("| FIRSTNAME | 1 |") < report.index("| PHONE | 1 |")
    assert "| en |" in report and "| fr |" in report
    en = metrics["entity"]["char"]["per_language"]["en"]
    assert en["precision"] != en["recall"]  # so a swapped column shows
    en_row = next(line for line in report.splitlines() if line.startswith("| en |"))
    assert en_row.endswith(f"| {en['precision']:.3f} | {en['recall']:.3f} | {en['f1']:.3f} | {en['f5']:.3f} | "
                           f"{en['partial_leak_rate']:.3f} |")
    assert "| FIRSTNAME | EMAIL | 1 |" in report  # the confused pair
    assert "⟦06 12 34 56 78⟧" in report  # the missed phone, in context
    assert "runs/head-a/head.pt" in report and "SmolLM2-135M" in report and "viterbi" in report
    assert "curve" not in report  # trial details stay on one short line


def test_report_shows_character_recall_per_gold_label_largest_first():
    report = render_report(sample_metrics())
    # PHONE "06 12 34 56 78" has 10 non-whitespace characters; the prediction "06 12" hides 4.
    assert "| PHONE | 10 | 4 | 0.400 |" in report
    # Both e-mails (16 characters each) are hidden, the first one under an EMAIL span, the second one too.
    assert "| EMAIL | 32 | 32 | 1.000 |" in report
    assert report.index("| EMAIL | 32 |") < report.index("| PHONE | 10 |") < report.index("| FIRSTNAME | 4 |")


def test_headline_keys_are_stable_and_include_character_figures():
    figures = headline_figures(sample_metrics())
    assert list(figures) == [key for key, _, _ in HEADLINE]
    assert {"strict_precision", "strict_recall", "strict_f1", "overlap_f1", "detection_f1", "detection_f5",
            "token_macro_f1_without_o", "token_accuracy"} <= set(figures)
    char = sample_metrics()["entity"]["char"]["overall"]
    assert (figures["char_precision"], figures["char_recall"], figures["char_f1"], figures["char_f5"]) == (
        char["precision"], char["recall"], char["f1"], char["f5"])
    # Metrics from before character scores (no texts given) leave them empty, not wrong.
    old = sample_metrics()
    del old["entity"]["char"]
    assert headline_figures(old)["char_f1"] is None and "| Redaction F1 (characters) | n/a |" in render_report(old)


def test_report_keeps_tables_intact_and_lines_bounded():
    metrics = sample_metrics()
    metrics["confused_pairs"].append({"gold": "A|B", "pred": "C", "count": 1})  # a "|" in a cell
    report = render_report(metrics)
    assert "| A\\|B | C | 1 |" in report
    tables: list[list[str]] = [[]]
    for line in report.splitlines():
        assert len(line) < 400
        if line.startswith("|"):
            tables[-1].append(line)
        elif tables[-1]:
            tables.append([])
    for table in filter(None, tables):  # every row of a table has as many cells as its header
        widths = {len(re.split(r"(?<!\\)\|", row)) for row in table}
        assert len(widths) == 1, table


def test_report_survives_missing_sections():
    report = render_report({"entity": {}, "token": {}})
    assert "# PII tagger evaluation" in report
    assert "| Strict span F1 | n/a |" in report
    with pytest.raises(ValueError, match="metrics must be a dict"):
        render_report(["not", "a", "dict"])


def test_comparison_has_one_column_per_head():
    runs = [("head-a", sample_metrics(0)), ("head-b", sample_metrics(1, miss_phone=False)),
            ("head-c", sample_metrics(2))]
    table = render_comparison(runs)
    header = next(line for line in table.splitlines() if line.startswith("| Metric |"))
    assert header == "| Metric | head-a | head-b | head-c |"
    strict_row = next(line for line in table.splitlines() if line.startswith("| Strict span F1 |"))
    assert len(strict_row.strip("|").split("|")) == 1 + 3
    best = headline_figures(runs[1][1])["strict_f1"]
    assert f"**{best:.3f}**" in strict_row  # head-b found the phone: best strict F1, in bold
    char_row = next(line for line in table.splitlines() if line.startswith("| Redaction F5 (characters) |"))
    assert len(char_row.strip("|").split("|")) == 1 + 3
    assert not FIXED_FIGURES.search(table)
    class_header = next(line for line in table.splitlines() if line.startswith("| Class |"))
    assert class_header == "| Class | Support | head-a | head-b | head-c |"
    assert any(line.startswith("| PHONE | 1 |") for line in table.splitlines())


def test_comparison_rejects_bad_runs():
    with pytest.raises(ValueError, match="runs is empty"):
        render_comparison([])
    with pytest.raises(ValueError, match="unique"):
        render_comparison([("a", sample_metrics()), ("a", sample_metrics())])
    with pytest.raises(ValueError, match=r"runs\[0\] must be"):
        render_comparison([("a",)])
