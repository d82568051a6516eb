"""Entities in HTML: escaped text, one `<mark data-label>` per span with its score on hover, a colour
per label; `predict --html` writes them for every text it tags."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from click.testing import CliRunner

from cli import main
from head.html_view import label_colour, marked_html
from head.tagger import PredictedSpan


class Marks(HTMLParser):
    """(label, title, marked text) of every <mark>, and whether any <script> element appeared."""

    def __init__(self):
        super().__init__()
        self.marks, self.scripts, self._open = [], 0, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.scripts += tag == "script"
        if tag == "mark":
            self._open = [attrs["data-label"], attrs["title"], ""]

    def handle_endtag(self, tag):
        if tag == "mark":
            self.marks.append(tuple(self._open))
            self._open = None

    def handle_data(self, data):
        if self._open is not None:
            self._open[2] += data


def parse(page: str) -> Marks:
    marks = Marks()
    marks.feed(page)
    return marks


def test_spans_are_marked_and_the_text_is_escaped():
    text = "<script>alert(1)</script> Mary <b>Jones</b>"
    spans = [PredictedSpan(26, 30, "FIRSTNAME", 0.97, "Mary"), PredictedSpan(31, 43, 'LAST"NAME', 0.5, "<b>Jones</b>"),
             PredictedSpan(27, 29, "INSIDE", 0.1, "ar")]  # inside one already marked: left out
    page = parse(marked_html(text, spans))
    assert page.scripts == 0
    assert page.marks == [("FIRSTNAME", "FIRSTNAME 0.97", "Mary"), ('LAST"NAME', 'LAST"NAME 0.50', "<b>Jones</b>")]
    assert label_colour("EMAIL") == label_colour("EMAIL") != label_colour("PHONENUMBER")


def test_predict_writes_a_page_with_every_texts_entities(tiny_head, tmp_path):
    texts = tmp_path / "texts.jsonl"
    texts.write_text("\n".join(json.dumps({"id": f"t{i}", "text": f"Call Mary on 555-123-456{i}"}) for i in range(3)))
    out, page = tmp_path / "out.jsonl", tmp_path / "found.html"
    result = CliRunner().invoke(main, ["predict", "--head", str(tiny_head), "--input", str(texts), "--output", str(out),
                                       "--html", str(page), "--min-score", "0", "--quiet"])
    assert result.exit_code == 0 and str(page) in result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    expected = [(s["label"], f"{s['label']} {s['score']:.2f}", s["text"]) for row in rows for s in row["spans"]]
    assert parse(page.read_text()).marks == expected and expected
    assert all(f">{row['id']}</div>" in page.read_text() for row in rows)
