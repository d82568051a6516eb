"""`score`: a head on any labelled file equals prepare + extract + evaluate on it, label maps and
ignored regions included."""

from __future__ import annotations

import json

from evaluation.evaluate import EvaluateConfig, evaluate, predictions_from_cache
from evaluation.score import ScoreConfig, score
from extract.cache_reader import CacheReader
from head.checkpoint import load_head


def comparable(metrics: dict) -> dict:
    """What both commands measure on the same texts (not where they came from)."""
    entity = metrics["entity"]
    return {"token": {k: metrics["token"][k] for k in ("tokens", "accuracy", "with_o", "without_o", "per_class")},
            "strict": entity["strict"]["overall"], "overlap": entity["overlap"]["overall"],
            "detection": entity["detection"]["overall"], "char": entity["char"]["overall"],
            "per_language": entity["strict"]["per_language"], "examples": metrics["examples"],
            "threshold": metrics["threshold"]}


def test_score_on_a_gold_file_equals_evaluate_on_its_cache(prepared_dir, tiny_cache, tiny_head, tmp_path):
    gold = prepared_dir / "test.jsonl"  # the texts the cache's test split was extracted from
    scored = score(ScoreConfig(head=tiny_head, data=(gold,), out=tmp_path / "score", progress=False))
    evaluated = evaluate(EvaluateConfig(cache=tiny_cache, heads=(tiny_head,), split="test", out=tmp_path / "eval"))
    assert comparable(scored.metrics) == comparable(evaluated.runs[0].metrics)
    assert scored.metrics["entity"]["strict"]["overall"]["pred"] > 0  # not an empty comparison
    for name in ("metrics.json", "report.md", "report.html", "confusion_matrix.png", "per_class_f1.png", "threshold_curve.png"):
        assert (tmp_path / "score" / name).stat().st_size > 0, name


def test_a_prediction_in_an_ignored_region_is_neither_hit_nor_false_alarm(tiny_cache, tiny_head, tmp_path):
    # A text where the head, at one of its points, predicts a span that no gold span touches: a false alarm today.
    for point in load_head(tiny_head).operating_points:
        loaded = load_head(tiny_head).at_point(point)
        predictions = predictions_from_cache(CacheReader(tiny_cache), loaded, "test")
        record, alarm = next(((r, s) for r, spans in zip(predictions.records, predictions.spans) for s in spans
                              if s.score >= loaded.threshold and not any(g.start < s.end and s.start < g.end
                                                                         for g in r.spans)), (None, None))
        if alarm is not None:
            break
    assert alarm is not None, "the tiny head makes no false alarm at any of its points"
    row = {"id": record.id, "language": record.language, "text": record.text,
           "entities": [{"start": g.start, "end": g.end, "label": g.label} for g in record.spans]}
    plain = tmp_path / "plain.jsonl"
    plain.write_text(json.dumps(row) + "\n")
    marked = tmp_path / "marked.jsonl"
    marked.write_text(json.dumps({**row, "entities": sorted(row["entities"] + [
        {"start": alarm.start, "end": alarm.end, "label": "SECRET"}], key=lambda e: e["start"])}) + "\n")
    label_map = tmp_path / "map.json"
    label_map.write_text(json.dumps({"unknown": "keep", "map": {"SECRET": None}}))
    before = score(ScoreConfig(head=tiny_head, data=(plain,), out=tmp_path / "a", operating_point=point,
                               progress=False)).metrics
    after = score(ScoreConfig(head=tiny_head, data=(marked,), label_map=str(label_map), out=tmp_path / "b",
                              operating_point=point, progress=False)).metrics
    for mode in ("strict", "detection"):
        b, a = before["entity"][mode]["overall"], after["entity"][mode]["overall"]
        assert a["pred"] == b["pred"] - 1 and a["pred_matched"] == b["pred_matched"]  # not a false alarm
        assert a["gold"] == b["gold"] and a["gold_matched"] == b["gold_matched"]  # not a hit either
    assert after["entity"]["char"]["overall"]["pred_chars"] < before["entity"]["char"]["overall"]["pred_chars"]
    assert after["ignored_regions"] == 1 and after["token"]["tokens"] < before["token"]["tokens"]


def test_unknown_labels_without_a_map_are_scored_by_name(tiny_head, tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"text": "Write to Jean at jean@example.fr", "language": "fr",
                                "spans": [{"start": 17, "end": 32, "label": "E_MAIL_ADDRESS"}]}) + "\n")
    result = score(ScoreConfig(head=tiny_head, data=(gold,), out=tmp_path / "s", progress=False))
    assert result.warnings == ["the gold labels ['E_MAIL_ADDRESS'] are not labels of the head, which cannot predict "
                               "them; their entities count as missed (map them onto the head's labels with a label "
                               "map)"]
    assert result.metrics["entity"]["strict"]["overall"]["gold"] == 1
    gold.write_text(json.dumps({"text": "Write to Jean at jean@example.fr", "language": "fr",
                                "spans": [{"start": 17, "end": 32, "label": "EMAIL"}]}) + "\n")
    fewer = score(ScoreConfig(head=tiny_head, data=(gold,), out=tmp_path / "s2", progress=False))
    assert fewer.warnings == []  # a gold file with fewer labels than the head is ordinary
