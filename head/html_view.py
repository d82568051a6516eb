"""Entities in HTML, as displaCy shows them: each span a `<mark data-label>` with a colour per label
and its score on hover; the text always escaped. Shared by `predict --html` and the reports.
"""

from __future__ import annotations

import colorsys
import hashlib
import html
from typing import Iterable, Sequence

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #222; }
section { border-bottom: 1px solid #ddd; padding: .75rem 0; }
.text { white-space: pre-wrap; line-height: 1.9; }
.id { color: #777; font-size: .8rem; }
mark { border-radius: 3px; padding: 1px 3px; }
mark::after { content: attr(data-label); font-size: .65em; font-weight: 600; margin-left: 4px; opacity: .75; }
mark.missed { outline: 2px solid #c00; background: #fdd !important; }
mark.spurious { outline: 2px dashed #c60; background: #fed !important; }
table { border-collapse: collapse; } td, th { padding: 2px 10px; text-align: left; }
"""


def label_colour(label: str) -> str:
    """A light colour of its own for each label (the same on every page)."""
    hue = int(hashlib.sha256(label.encode("utf-8")).hexdigest()[:4], 16) / 0xFFFF
    r, g, b = colorsys.hls_to_rgb(hue, 0.82, 0.75)
    return f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"


def marked_html(text: str, spans: Iterable, kind: str | None = None) -> str:
    """`text`, escaped, with each span (`.start`, `.end`, `.label`, optional `.score`) in a `<mark>`;
    spans inside one already marked are left out."""
    pieces, cursor = [], 0
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if span.start < cursor:
            continue
        score = getattr(span, "score", None)
        title = span.label + (f" {score:.2f}" if score is not None else "") + (f" ({kind})" if kind else "")
        pieces += [html.escape(text[cursor:span.start]),
                   f'<mark data-label="{html.escape(span.label)}" title="{html.escape(title)}"'
                   + (f' class="{kind}"' if kind else "")
                   + f' style="background: {label_colour(span.label)}">{html.escape(text[span.start:span.end])}</mark>']
        cursor = span.end
    pieces.append(html.escape(text[cursor:]))
    return "".join(pieces)


def page_start(title: str) -> str:
    return (f'<!doctype html>\n<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{STYLE}</style></head><body>\n<h1>{html.escape(title)}</h1>\n")


PAGE_END = "</body></html>\n"


def text_section(record_id: str, text: str, spans: Sequence) -> str:
    return (f'<section><div class="id">{html.escape(str(record_id))}</div>'
            f'<div class="text">{marked_html(text, spans)}</div></section>\n')
