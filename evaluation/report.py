"""Markdown reports of evaluation metrics: one head in detail (`render_report`) or several side by
side (`render_comparison`), from the dicts built by `evaluation.metrics`.
"""

from __future__ import annotations

from typing import Any, Sequence

from extract.errors import PiiTaggerError

# (key, row title, path into the metrics dict): the figures every report and comparison leads with.
HEADLINE = (
    ("strict_precision", "Strict span precision", ("entity", "strict", "overall", "precision")),
    ("strict_recall", "Strict span recall", ("entity", "strict", "overall", "recall")),
    ("strict_f1", "Strict span F1", ("entity", "strict", "overall", "f1")),
    ("overlap_f1", "Overlap span F1", ("entity", "overlap", "overall", "f1")),
    ("detection_f1", "Detection F1 (label-blind)", ("entity", "detection", "overall", "f1")),
    ("detection_f5", "Detection F5 (recall-weighted)", ("entity", "detection", "overall", "f5")),
    ("char_precision", "Redaction precision (characters)", ("entity", "char", "overall", "precision")),
    ("char_recall", "Redaction recall (characters)", ("entity", "char", "overall", "recall")),
    ("char_f1", "Redaction F1 (characters)", ("entity", "char", "overall", "f1")),
    ("char_f5", "Redaction F5 (characters)", ("entity", "char", "overall", "f5")),
    ("partial_leak_rate", "Partial leaks (entities partly hidden, some character visible)",
     ("entity", "char", "overall", "partial_leak_rate")),
    ("token_macro_f1_without_o", "Token macro F1 (without O)", ("token", "without_o", "macro", "f1")),
    ("token_accuracy", "Token accuracy", ("token", "accuracy")),
)
LOWER_IS_BETTER = frozenset({"partial_leak_rate"})  # headline keys whose best value is the smallest
# What the headline's modes mean, under its table: a reader must know what "1.0" would take.
MODES_NOTE = (
    "Strict: same label, start and end. Overlap: same label, a shared character. Detection: a "
    "shared character, any label. Overlap and detection pair each gold and each predicted span "
    "at most once. Redaction: label-blind, over non-whitespace characters (what is hidden against "
    "what should be).\nPartial leaks: gold entities partly hidden with some character still "
    "visible, as a share of gold entities (a wholly missed one is not counted there)."
)
MAX_CONTEXT_CHARS = 160
MAX_ENTITY_CHARS = 60
MISSING = "n/a"


def headline_figures(metrics: dict) -> dict[str, float | None]:
    """The headline numbers of one evaluation, keyed as in `HEADLINE` (None when absent)."""
    if not isinstance(metrics, dict):
        raise PiiTaggerError(f"metrics must be a dict, got {type(metrics).__name__}")
    return {key: _number(_dig(metrics, path)) for key, _, path in HEADLINE}


def summary_rows(metrics: dict) -> list[tuple[str, str]]:
    """The headline figures of one evaluation as (name, value) rows, for a command's summary."""
    entity = metrics["entity"]
    strict, char = entity["strict"], entity.get("char", {})
    languages = ", ".join(f"{lang} {v['f1']:.3f}" for lang, v in strict["per_language"].items())
    rows = [("strict span F1", f"{strict['overall']['f1']:.4f} (P {strict['overall']['precision']:.3f}, "
                               f"R {strict['overall']['recall']:.3f}); per language: {languages}")]
    if char:
        overall = char["overall"]
        rows.append(("redaction", f"character P {overall['precision']:.3f}, R {overall['recall']:.3f}, "
                                  f"F1 {overall['f1']:.4f}, F5 {overall['f5']:.4f} (label-blind), partial leaks "
                                  f"{overall.get('partial_leak_rate', 0.0):.1%}"))
    rows += [("detection", f"F1 {entity['detection']['overall']['f1']:.4f}, "
                           f"F5 {entity['detection']['overall']['f5']:.4f} (one-to-one, label-blind)"),
             ("token macro F1", f"{metrics['token']['without_o']['macro']['f1']:.4f} (without O)"),
             ("threshold", f"spans scoring under {metrics['threshold']:.3f} dropped (chosen on val)")]
    for name, point in (metrics.get("operating_points") or {}).items():
        char = point["char"]
        rows.append((f"{name} point", f"O bias {point['outside_bias']:g}, threshold {point['threshold']:.3f}, rules "
                                      f"{'on' if point['rules'] else 'off'}: character P {char['precision']:.3f} "
                                      f"R {char['recall']:.3f}, partial leaks {char['partial_leak_rate']:.1%}"))
    return rows


def render_report(metrics: dict, *, examples_per_kind: int = 3) -> str:
    """One evaluation as Markdown: headline, token averages, per language, per class, confusions, errors.

    Sections whose data is missing from `metrics` are left out rather than failing.
    """
    if not isinstance(metrics, dict):
        raise PiiTaggerError(f"metrics must be a dict, got {type(metrics).__name__}")
    if examples_per_kind < 0:
        raise PiiTaggerError(f"examples_per_kind must be >= 0, got {examples_per_kind}")
    entity = metrics.get("entity") or {}
    token = metrics.get("token") or {}
    lines = ["# PII tagger evaluation", ""]
    lines += _provenance(metrics)

    figures = headline_figures(metrics)
    lines += ["## Headline", "", "| Metric | Value |", "|---|---:|"]
    for key, title, _ in HEADLINE:
        lines.append(f"| {title} | {_fmt(figures[key])} |")
    strict = _dig(entity, ("strict", "overall")) or {}
    char = _dig(entity, ("char", "overall")) or {}
    lines += [""]
    if "gold" in strict:
        lines += [f"{strict.get('gold', 0)} gold entities, {strict.get('pred', 0)} predicted.", ""]
    if "gold_chars" in char:
        lines += [f"{char.get('gold_chars', 0)} non-whitespace characters to hide, "
                  f"{char.get('pred_chars', 0)} hidden, {char.get('hit_chars', 0)} of them rightly.", ""]
    lines += [MODES_NOTE, ""]

    if token.get("with_o") or token.get("without_o"):
        lines += ["## Token level", "", "| Labels | Micro F1 | Macro F1 | Weighted F1 |", "|---|---:|---:|---:|"]
        for key, title in (("with_o", "All labels"), ("without_o", "Without O")):
            averages = token.get(key) or {}
            lines.append(f"| {title} | " + " | ".join(
                _fmt(_dig(averages, (average, "f1"))) for average in ("micro", "macro", "weighted")) + " |")
        if "tokens" in token:
            lines += ["", f"{token['tokens']} tokens."]
        lines.append("")

    languages = sorted(set(_dig(entity, ("strict", "per_language")) or {})
                       | set(_dig(entity, ("char", "per_language")) or {}))
    if languages:
        lines += [
            "## Per language", "",
            "| Language | Gold | Pred | Strict P | Strict R | Strict F1 | Overlap F1 | Detection F1 | Detection F5 "
            "| Char P | Char R | Char F1 | Char F5 | Partial leaks |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for language in languages:
            s = _dig(entity, ("strict", "per_language", language)) or {}
            o = _dig(entity, ("overlap", "per_language", language)) or {}
            d = _dig(entity, ("detection", "per_language", language)) or {}
            c = _dig(entity, ("char", "per_language", language)) or {}
            lines.append(
                f"| {_cell(language)} | {s.get('gold', MISSING)} | {s.get('pred', MISSING)} | "
                f"{_fmt(s.get('precision'))} | {_fmt(s.get('recall'))} | {_fmt(s.get('f1'))} | "
                f"{_fmt(o.get('f1'))} | {_fmt(d.get('f1'))} | {_fmt(d.get('f5'))} | "
                f"{_fmt(c.get('precision'))} | {_fmt(c.get('recall'))} | {_fmt(c.get('f1'))} | {_fmt(c.get('f5'))} | "
                f"{_fmt(c.get('partial_leak_rate'))} |"
            )
        lines.append("")

    per_class = _dig(entity, ("strict", "per_class")) or {}
    if per_class:
        overlap = _dig(entity, ("overlap", "per_class")) or {}
        lines += [
            "## Per class (strict spans, by support)", "",
            "| Class | Support | Pred | Strict P | Strict R | Strict F1 | Overlap F1 |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for label in classes_by_support(per_class):
            row = per_class[label]
            lines.append(
                f"| {_cell(label)} | {row.get('gold', MISSING)} | {row.get('pred', MISSING)} | "
                f"{_fmt(row.get('precision'))} | {_fmt(row.get('recall'))} | {_fmt(row.get('f1'))} | "
                f"{_fmt((overlap.get(label) or {}).get('f1'))} |"
            )
        lines.append("")

    char_per_label = _dig(entity, ("char", "per_label")) or {}
    if char_per_label:
        lines += [
            "## Redaction per gold label (characters, label-blind)", "",
            "Share of each label's non-whitespace characters that some prediction hides, whatever its label; "
            "its entities with at least one character hidden (found), and those partly hidden with some character "
            "still visible (partial leaks).", "",
            "| Gold label | Characters | Hidden | Recall | Entities | Found | Partial leaks |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        by_size = sorted(char_per_label, key=lambda label: (-int((char_per_label[label] or {}).get("gold_chars", 0)),
                                                            label))
        for label in by_size:
            row = char_per_label[label] or {}
            lines.append(f"| {_cell(label)} | {row.get('gold_chars', MISSING)} | {row.get('hit_chars', MISSING)} | "
                         f"{_fmt(row.get('recall'))} | {row.get('entities', MISSING)} | {_fmt(row.get('found_rate'))} | "
                         f"{_fmt(row.get('partial_leak_rate'))} |")
        lines.append("")

    lines += _operating_points(metrics)

    pairs = metrics.get("confused_pairs") or []
    if pairs:
        lines += ["## Most confused pairs", "", "| Gold | Predicted as | Count |", "|---|---|---:|"]
        for pair in pairs:
            lines.append(f"| {_cell(pair.get('gold'))} | {_cell(pair.get('pred'))} | {pair.get('count', 0)} |")
        lines.append("")

    errors = metrics.get("errors") or {}
    if errors and examples_per_kind:
        lines += _error_section(errors, examples_per_kind)
    return "\n".join(lines).rstrip() + "\n"


def render_comparison(runs: Sequence[tuple[str, dict]]) -> str:
    """Several heads side by side: headline figures, then strict F1 per class, one column per head."""
    names = _check_runs(runs)
    header = "| Metric | " + " | ".join(_cell(name) for name in names) + " |"
    rule = "|---|" + "---:|" * len(names)
    lines = ["# Head comparison", "", header, rule]
    figures = [headline_figures(metrics) for _, metrics in runs]
    for key, title, _ in HEADLINE:
        values = [f[key] for f in figures]
        best = (min if key in LOWER_IS_BETTER else max)((v for v in values if v is not None), default=None)
        cells = [f"**{_fmt(v)}**" if v is not None and v == best and len(runs) > 1 else _fmt(v) for v in values]
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    lines += ["", "Best value per row in bold. " + MODES_NOTE, ""]

    per_class_by_run = [_dig(metrics, ("entity", "strict", "per_class")) or {} for _, metrics in runs]
    support: dict[str, int] = {}
    for per_class in per_class_by_run:  # the first run that has a class gives its support
        for label, row in per_class.items():
            support.setdefault(label, int(row.get("gold", 0)))
    if support:
        lines += [
            "## Strict span F1 per class", "",
            "| Class | Support | " + " | ".join(_cell(name) for name in names) + " |",
            "|---|---:|" + "---:|" * len(names),
        ]
        for label in sorted(support, key=lambda label: (-support[label], label)):
            cells = [_fmt((per_class.get(label) or {}).get("f1")) if label in per_class else MISSING
                     for per_class in per_class_by_run]
            lines.append(f"| {_cell(label)} | {support[label]} | " + " | ".join(cells) + " |")
    return "\n".join(lines).rstrip() + "\n"


def classes_by_support(per_class: dict) -> list[str]:
    """Class names, most gold entities first (ties by name)."""
    return sorted(per_class, key=lambda label: (-int((per_class[label] or {}).get("gold", 0)), label))


def _operating_points(metrics: dict) -> list[str]:
    """The head's operating points on this split, side by side (see operating_points.png)."""
    points = metrics.get("operating_points") or {}
    if not points:
        return []
    lines = ["## Operating points", "",
             f"Chosen on val by fit-head; this report is at `{_cell(metrics.get('operating_point', 'default'))}`. "
             "The curves of character precision against recall over span thresholds are in operating_points.png.", "",
             "| Point | O bias | Threshold | Rules | Char P | Char R | Char F1 | Partial leaks | Strict F1 |",
             "|---|---:|---:|---|---:|---:|---:|---:|---:|"]
    for name, point in points.items():
        char = point.get("char") or {}
        lines.append(f"| {_cell(name)} | {point.get('outside_bias', MISSING)} | {_fmt(point.get('threshold'))} | "
                     f"{'on' if point.get('rules') else 'off'} | {_fmt(char.get('precision'))} | "
                     f"{_fmt(char.get('recall'))} | {_fmt(char.get('f1'))} | {_fmt(char.get('partial_leak_rate'))} | "
                     f"{_fmt(point.get('strict_f1'))} |")
    return lines + [""]


def _provenance(metrics: dict) -> list[str]:
    head = metrics.get("head") or {}
    cache = metrics.get("cache") or {}
    items = []
    split, decode = metrics.get("split"), metrics.get("decode")
    if split or decode:
        items.append(f"- Split: `{_code(split or MISSING)}`, decoding: `{_code(decode or MISSING)}`")
    if head:
        details = []
        if head.get("layers") is not None:
            layers = head["layers"]
            layers = ", ".join(map(str, layers)) if isinstance(layers, (list, tuple)) else str(layers)
            details.append(f"layers {layers}")
        if head.get("best_trial") is not None:
            details.append(f"best trial: {_short(head['best_trial'])}")
        suffix = f" ({'; '.join(details)})" if details else ""
        items.append(f"- Head: `{_code(head.get('path', MISSING))}`{suffix}")
    if cache:
        backbone = cache.get("backbone")
        suffix = f" (backbone `{_code(backbone)}`)" if backbone else ""
        items.append(f"- Feature cache: `{_code(cache.get('path', MISSING))}`{suffix}")
    return items + [""] if items else []


def _error_section(errors: dict, examples_per_kind: int) -> list[str]:
    lines = ["## Errors (strict spans)", "",
             "Entity marked ⟦like this⟧; the first examples in corpus order.", ""]

    def total(label: str) -> int:
        entry = errors[label] or {}
        return int(entry.get("missed_total", len(entry.get("missed", []))) +
                   entry.get("spurious_total", len(entry.get("spurious", []))))

    # The classes with the most errors first: that is where to look.
    for label in sorted(errors, key=lambda label: (-total(label), label)):
        entry = errors[label] or {}
        missed, spurious = entry.get("missed") or [], entry.get("spurious") or []
        if not missed and not spurious:
            continue
        lines += [f"### {label}", ""]
        for kind, examples, other in (("Missed", missed, "predicted"), ("Spurious", spurious, "gold")):
            if not examples:
                continue
            count = entry.get(f"{kind.lower()}_total", len(examples))
            shown = examples[:examples_per_kind]
            lines.append(f"{kind}: {count}" + (f", the first {len(shown)}:" if count > len(shown) else ":"))
            for example in shown:
                overlapping = example.get("overlapping") or []
                instead = "; ".join(f"{o.get('label')} “{_clip(o.get('text', ''), MAX_ENTITY_CHARS)}”"
                                    for o in overlapping[:3])
                note = f" — {other}: {instead}" if instead else f" — {other}: nothing"
                context = _clip(example.get("context") or example.get("text", ""), MAX_CONTEXT_CHARS)
                lines.append(f"- `{_code(example.get('id', '?'))}`: `{_code(context)}`{note}")
            lines.append("")
    return lines


def _check_runs(runs) -> list[str]:
    if not runs:
        raise PiiTaggerError("runs is empty: expected at least one (name, metrics) pair")
    names = []
    for i, run in enumerate(runs):
        if not isinstance(run, (tuple, list)) or len(run) != 2 or not isinstance(run[1], dict):
            raise PiiTaggerError(f"runs[{i}] must be a (name, metrics dict) pair")
        names.append(str(run[0]))
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise PiiTaggerError(f"run names must be unique, repeated: {', '.join(duplicates)}")
    return names


def _dig(obj: Any, path: Sequence[str]) -> Any:
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return None
        obj = obj[key]
    return obj


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _fmt(value: Any) -> str:
    number = _number(value)
    return MISSING if number is None else f"{number:.3f}"


def _short(value: Any) -> str:
    """A trial description on one line: dicts as key=value with compact numbers."""
    if isinstance(value, dict):
        # Scalars and short lists only: a trial record may carry its whole training curve.
        simple = [(k, v) for k, v in value.items()
                  if not isinstance(v, (dict, list, tuple)) or (isinstance(v, (list, tuple)) and len(v) <= 8
                                                                and not any(isinstance(x, (dict, list)) for x in v))]
        return ", ".join(f"{k}={_short(v)}" for k, v in simple[:8])
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_short(v) for v in value[:8]) + ("…" if len(value) > 8 else "") + "]"
    return _clip(str(value), 80)


def _clip(text: str, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _code(text: Any) -> str:
    # A backtick would end the inline code span early; a newline would end the list item.
    return str(text).replace("`", "'").replace("\n", " ")


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")
