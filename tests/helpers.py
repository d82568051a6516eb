"""Small helpers shared by several test files: JSONL corpora, token offsets, a sample evaluation,
and the check that a plot is a real PNG."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np

from evaluation.metrics import confused_pairs, entity_metrics, error_examples
from extract.labels import LabelScheme
from extract.records import Record, Span
from extract.token_metrics import token_metrics


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


# --- a corpus a frozen random model's features separate -----------------------------------------


FIRST = ["Jean", "Marie", "Alice", "Pierre", "Sophie"]
LAST = ["Dupont", "Martin", "Bernard", "Durand", "Moreau"]
FILLER = ["merci", "bonjour", "le", "dossier", "est", "prêt", "thanks", "the", "file", "is", "ready", "today"]


def separable_records(n: int, seed: int) -> list[dict]:
    """Names and emails from small closed sets: a frozen random model's features separate them."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first.lower()}.{last.lower()}@mail.fr"
        before = " ".join(rng.choices(FILLER, k=rng.randint(1, 5)))
        after = " ".join(rng.choices(FILLER, k=rng.randint(1, 5)))
        text = f"{before} {first} {last} {after} {email} {after}"
        start = len(before) + 1
        spans = [Span(start, start + len(first), "FIRSTNAME"),
                 Span(start + len(first) + 1, start + len(first) + 1 + len(last), "LASTNAME")]
        e = text.index(email)
        spans.append(Span(e, e + len(email), "EMAIL"))
        rows.append(Record(f"s{i}", "fr" if i % 2 else "en", text, tuple(spans)).to_json())
    return rows


# --- spans of "Call Jean Dupont at 06 12 34 56 78 ...", and a text with an ignored region --------

JEAN, DUPONT, JEAN_DUPONT = Span(5, 9, "FIRSTNAME"), Span(10, 16, "LASTNAME"), Span(5, 16, "NAME")
PHONE = Span(20, 34, "PHONE")

# "Contact Jean, gender: female, at 06 12 34 56 78." with "female" an ignored region (a gold
# label this project does not have).
IGNORED_TEXT = "Contact Jean, gender: female, at 06 12 34 56 78."
I_JEAN = Span(8, 12, "FIRSTNAME")
I_PHONE = Span(33, 47, "PHONE")
FEMALE = (22, 28)


# --- token offsets -------------------------------------------------------------------------------


def offsets_of(pieces: list[str]) -> tuple[str, np.ndarray]:
    """A text cut into the given tokens (SentencePiece-like: a token may carry its leading space)."""
    text, offsets = "", []
    for piece in pieces:
        offsets.append((len(text), len(text) + len(piece)))
        text += piece
    return text, np.array(offsets)


# --- a sample evaluation: metrics of hand-made predictions, as evaluate writes them --------------


REPORT_SCHEME = LabelScheme("bio", ("EMAIL", "FIRSTNAME", "PHONE"))
REPORT_TEXTS = [
    "Write to jean@example.org or call 06 12 34 56 78.",
    "Jean called twice | then wrote to jean@example.org",
    "Nothing to see here.",
]


def span_of(text: str, entity: str, label: str, occurrence: int = 0) -> Span:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(entity, start + 1)
    return Span(start, start + len(entity), label)


def sample_metrics(seed: int = 0, *, miss_phone: bool = True) -> dict:
    """An evaluation of three texts in evaluate's shape: a phone cut short, a name tagged EMAIL, a false alarm."""
    gold = [
        [span_of(REPORT_TEXTS[0], "jean@example.org", "EMAIL"), span_of(REPORT_TEXTS[0], "06 12 34 56 78", "PHONE")],
        [span_of(REPORT_TEXTS[1], "Jean", "FIRSTNAME"), span_of(REPORT_TEXTS[1], "jean@example.org", "EMAIL")],
        [],
    ]
    pred = [
        [gold[0][0]] + ([span_of(REPORT_TEXTS[0], "06 12", "PHONE")] if miss_phone else [gold[0][1]]),
        [Span(gold[1][0].start, gold[1][0].end, "EMAIL"), gold[1][1]],
        [span_of(REPORT_TEXTS[2], "Nothing", "FIRSTNAME")],
    ]
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, len(REPORT_SCHEME.labels), 500)
    y_pred = np.where(rng.random(500) < 0.8, y_true, rng.integers(0, len(REPORT_SCHEME.labels), 500))
    return {
        "head": {"path": "runs/head-a/head.pt", "layers": [8, 12],
                 "best_trial": {"name": "lr=0.001", "lr": 0.001, "val_span_f1": 0.8123, "curve": [{"epoch": 1}]}},
        "cache": {"path": "cache/smollm2", "backbone": "SmolLM2-135M"},
        "split": "test",
        "decode": "viterbi",
        "token": token_metrics(y_true, y_pred, REPORT_SCHEME.labels),
        "entity": entity_metrics(gold, pred, ["en", "fr", "en"], texts=REPORT_TEXTS),
        "confused_pairs": confused_pairs(gold, pred),
        "errors": error_examples(REPORT_TEXTS, gold, pred, ["a", "b", "c"]),
    }


# --- plots ---------------------------------------------------------------------------------------


def assert_png(path, min_side: int = 200) -> np.ndarray:
    """A written, non-blank PNG of at least `min_side` pixels, its temporary file and figure gone."""
    import matplotlib.image
    import matplotlib.pyplot as plt

    assert path.is_file() and path.stat().st_size > 0
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[2] in (3, 4)
    assert min(image.shape[:2]) >= min_side
    assert image.std() > 0  # not a blank canvas
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]  # temp file renamed away
    assert plt.get_fignums() == []  # figure closed
    return image


def prf1(counts: dict) -> tuple[float, float, float]:
    """(precision, recall, F1) of a metrics dict, for comparing with hand-computed values."""
    return counts["precision"], counts["recall"], counts["f1"]
