"""`evaluate` on the tiny cache and head: outputs, several heads, heads of other features refused,
label mapping."""

from __future__ import annotations

import html
import json
import shutil

import pytest

from evaluation.evaluate import EvaluateConfig, evaluate
from extract.cache_reader import CacheReader
from head.checkpoint import load_head


def test_evaluate_writes_metrics_report_and_plots(tiny_cache, tiny_head, tmp_path):
    result = evaluate(EvaluateConfig(cache=tiny_cache, heads=(tiny_head,), out=tmp_path / "eval"))
    out = tmp_path / "eval"
    for name in ("metrics.json", "report.md", "confusion_matrix.png", "per_class_f1.png", "threshold_curve.png"):
        assert (out / name).stat().st_size > 0, name
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["split"] == "test" and result.split == "test"  # val chose the head: test reports it
    assert metrics["cache"]["fingerprint_id"] == CacheReader(tiny_cache).fingerprint_id
    assert metrics["head"]["path"] == str(tiny_head)
    assert metrics["token"]["tokens"] == CacheReader(tiny_cache).n_tokens("test")
    assert metrics["examples"] == CacheReader(tiny_cache).n_examples("test")
    assert metrics["threshold"] == load_head(tiny_head).threshold
    assert {"precision", "recall", "f1", "f5"} <= set(metrics["entity"]["char"]["overall"])
    assert metrics["threshold_curve"][0]["threshold"] == 0.0
    report = (out / "report.md").read_text()
    assert f"{metrics['entity']['strict']['overall']['f1']:.3f}" in report
    assert result.runs[0].metrics == metrics
    page = (out / "report.html").read_text()  # the same errors, highlighted in their context
    for label, entry in metrics["errors"].items():
        for kind in ("missed", "spurious"):
            for example in entry[kind]:
                marked = example["context"].split("⟦")[1].split("⟧")[0]  # the entity as the context shows it
                assert (f'<mark data-label="{label}" title="{label} ({kind})" class="{kind}"' in page
                        and f">{html.escape(marked)}</mark>" in page)


def test_several_heads_give_a_comparison(tiny_cache, tiny_head, tmp_path):
    other = tmp_path / "other-head"
    shutil.copytree(tiny_head, other)
    evaluate(EvaluateConfig(cache=tiny_cache, heads=(tiny_head, other), out=tmp_path / "cmp", decode="greedy"))
    assert (tmp_path / "cmp" / "comparison.md").is_file() and (tmp_path / "cmp" / "comparison.png").is_file()
    assert (tmp_path / "cmp" / "head" / "report.md").is_file() and (tmp_path / "cmp" / "other-head" / "report.md").is_file()
    table = (tmp_path / "cmp" / "comparison.md").read_text()
    assert "| Metric | head | other-head |" in table


def test_a_head_from_another_backbone_is_refused(tiny_cache, tiny_head, tmp_path):
    moved = tmp_path / "head"
    shutil.copytree(tiny_head, moved)
    meta = json.loads((moved / "head.json").read_text())
    meta["features_fingerprint"]["tokenizer"]["sha256"] = "0" * 64
    (moved / "head.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=r"other features than the cache.*tokenizer\.sha256"):
        evaluate(EvaluateConfig(cache=tiny_cache, heads=(moved,), out=tmp_path / "eval"))
    assert not (tmp_path / "eval").exists()


def test_an_echo_head_refuses_a_plain_cache(echo_head, tiny_cache, tmp_path):
    with pytest.raises(ValueError, match=r"other features.*input_format\.context"):
        evaluate(EvaluateConfig(cache=tiny_cache, heads=(echo_head,), out=tmp_path / "eval"))


def test_other_label_sets_are_mapped_by_name_with_a_warning(tiny_cache, tiny_head, tmp_path):
    moved = tmp_path / "head"
    shutil.copytree(tiny_head, moved)
    loaded = load_head(moved)
    meta = json.loads((moved / "head.json").read_text())
    # Rename the head's last entity type: the cache's type of that name becomes unpredictable.
    types = list(loaded.scheme.entity_types)
    types[-1] = "ZZZ_UNKNOWN"
    meta["labels"] = {"scheme": "bio", "entity_types": types}
    (moved / "head.json").write_text(json.dumps(meta))
    result = evaluate(EvaluateConfig(cache=tiny_cache, heads=(moved,), out=tmp_path / "eval"))
    assert [w for w in result.warnings if "not labels of the head" in w and "cannot predict" in w] == \
           [f"{moved.name}: the gold labels ['{loaded.scheme.entity_types[-1]}'] are not labels of the head, which cannot "
            "predict them; their entities count as missed (map them onto the head's labels with a label map)"]
    assert result.runs[0].metrics["warnings"]


def test_a_gold_set_using_fewer_labels_than_the_head_gets_no_warning():
    from evaluation.evaluate import label_mapping
    from extract.labels import LabelScheme

    head = LabelScheme("bio", ("EMAIL", "FIRSTNAME", "PHONENUMBER"))
    labels, _, gold_ids, notes = label_mapping(head, LabelScheme("bio", ("EMAIL",)))
    assert notes == [] and [labels[i] for i in gold_ids] == ["O", "B-EMAIL", "I-EMAIL"]


def test_missing_split_and_existing_output(tiny_cache, tiny_head, tmp_path):
    with pytest.raises(ValueError, match="`split` dev"):
        evaluate(EvaluateConfig(cache=tiny_cache, heads=(tiny_head,), split="dev", out=tmp_path / "e"))
    (tmp_path / "e").mkdir()
    (tmp_path / "e" / "x").write_text("keep")
    with pytest.raises(ValueError, match="`overwrite`"):
        evaluate(EvaluateConfig(cache=tiny_cache, heads=(tiny_head,), out=tmp_path / "e"))
    with pytest.raises(ValueError, match="not an evaluation folder"):
        evaluate(EvaluateConfig(cache=tiny_cache, heads=(tiny_head,), out=tmp_path / "e", overwrite=True))
    assert (tmp_path / "e" / "x").read_text() == "keep"
    evaluate(EvaluateConfig(cache=tiny_cache, heads=(tiny_head,), out=tmp_path / "mine"))
    evaluate(EvaluateConfig(cache=tiny_cache, heads=(tiny_head,), out=tmp_path / "mine", overwrite=True, split="val"))
    assert json.loads((tmp_path / "mine" / "metrics.json").read_text())["split"] == "val"


def test_evaluate_warns_on_a_split_the_head_learned_from(tiny_cache, tiny_head, tmp_path):
    assert json.loads((tiny_head / "head.json").read_text())["refit"]["splits"] == ["train", "val"]
    held_out = evaluate(EvaluateConfig(cache=tiny_cache, heads=(tiny_head,), out=tmp_path / "test"))
    assert not any("held-out" in w for w in held_out.warnings)
    for split in ("val", "train"):
        seen = evaluate(EvaluateConfig(cache=tiny_cache, heads=(tiny_head,), split=split, out=tmp_path / split))
        assert [w for w in seen.warnings if f"{split} is no held-out split" in w], seen.warnings
