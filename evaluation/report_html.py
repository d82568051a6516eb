"""`report.html`, beside `report.md`: the headline figures, then each class's missed and spurious
spans highlighted in their context, for a browser."""

from __future__ import annotations

import html
from typing import NamedTuple

from evaluation.report import summary_rows
from head.html_view import PAGE_END, marked_html, page_start

OPEN, CLOSE = "⟦", "⟧"  # how error_examples marks the entity in its context


class _Marked(NamedTuple):
    start: int
    end: int
    label: str


def render_report_html(metrics: dict, title: str = "Evaluation") -> str:
    rows = "".join(f"<tr><th>{html.escape(name)}</th><td>{html.escape(value)}</td></tr>"
                   for name, value in summary_rows(metrics))
    parts = [page_start(title), f"<table>{rows}</table>\n",
             "<h2>Errors (strict spans)</h2>\n<p>Missed gold entities in a solid red frame, spurious "
             "predictions in a dashed one; hover for the label.</p>\n"]
    errors = metrics.get("errors") or {}
    for label in sorted(errors, key=lambda name: -(errors[name].get("missed_total", 0)
                                                   + errors[name].get("spurious_total", 0))):
        entry = errors[label]
        parts.append(f"<h3>{html.escape(label)}: {entry.get('missed_total', 0)} missed, "
                     f"{entry.get('spurious_total', 0)} spurious</h3>\n")
        for kind in ("missed", "spurious"):
            for example in entry.get(kind) or []:
                parts.append(f'<section><div class="id">{html.escape(example.get("id", "?"))}, {kind}</div>'
                             f'<div class="text">{_context_html(example, kind)}</div></section>\n')
    parts.append(PAGE_END)
    return "".join(parts)


def _context_html(example: dict, kind: str) -> str:
    """The example's one-line context with its entity marked (⟦...⟧ in the Markdown report)."""
    context = example.get("context") or ""
    start, end = context.find(OPEN), context.find(CLOSE)
    if start < 0 or end < start:
        return html.escape(context)
    plain = context[:start] + context[start + 1:end] + context[end + 1:]
    return marked_html(plain, [_Marked(start, end - 1, example.get("label", "?"))], kind)
