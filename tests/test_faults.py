"""Fault injection: every way found to lose data or fail open, reproduced with the tiny model.

Nothing this tool did not write is replaced; one writer per cache; weights are fingerprinted;
NaN never turns into "no PII found"; bad input ends in one line naming where and why.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
from click.testing import CliRunner
from safetensors.numpy import load_file, save_file

from cli import main
from extract.cache_reader import CacheReader
from extract.errors import NonFiniteError, PiiTaggerError, UnsafeOutputError
from extract.extractor import ExtractConfig, run_extract
from extract.files import atomic_open
from extract.records import read_corpus
from head.checkpoint import load_head
from head.configs import Hyperparameters
from head.tagger import Tagger
from head.fit import FitConfig, fit_head
from tests.helpers import write_jsonl

ROOT = Path(__file__).resolve().parents[1]


def cli(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def extract_config(prepared: Path, model: Path, out: Path, **changes) -> ExtractConfig:
    settings = dict(data=prepared, out=out, model=str(model), dtype="float32", max_length=64, stride=16,
                    batch_tokens=512, shard_tokens=400, progress=False)
    return ExtractConfig(**{**settings, **changes})


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def read_only_dir(tmp_path) -> Path:
    """A folder nobody can create files in (root ignores permissions, but not /sys's)."""
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    try:
        probe = Path("/sys") / f".probe-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError:
        yield Path("/sys")
        return
    pytest.skip("no read-only folder available to a root user on this machine")


# ---------------------------------------------------------------------------------------------
# --overwrite replaces only what this tool wrote, never an input
# ---------------------------------------------------------------------------------------------

def test_prepare_into_its_own_data_dir_is_refused_and_deletes_nothing(synth_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(synth_dir, data)
    before = snapshot(data)
    result = cli("prepare", "--data-dir", data, "--out", data, "--overwrite")
    assert result.exit_code != 0 and "also an input" in result.output
    assert snapshot(data) == before


def test_extract_into_its_input_is_refused(prepared_dir, tiny_model_dir, tmp_path):
    data = tmp_path / "prepared"
    shutil.copytree(prepared_dir, data)
    before = snapshot(data)
    with pytest.raises(UnsafeOutputError, match="also an input"):
        run_extract(extract_config(data, tiny_model_dir, data, overwrite=True))
    assert snapshot(data) == before


def test_extract_overwrite_refuses_a_folder_that_is_not_a_cache(prepared_dir, tiny_model_dir, tmp_path):
    foreign = tmp_path / "thesis"
    foreign.mkdir()
    (foreign / "chapter1.tex").write_text("years of work")
    with pytest.raises(UnsafeOutputError, match="not a cache"):
        run_extract(extract_config(prepared_dir, tiny_model_dir, foreign, overwrite=True))
    assert (foreign / "chapter1.tex").read_text() == "years of work"


def test_a_folder_that_only_looks_like_ours_is_never_replaced(tiny_cache, tiny_head, tmp_path):
    # Files this tool writes, but no marker: a user's folder that happens to hold them.
    lookalike = tmp_path / "report"
    lookalike.mkdir()
    (lookalike / "metrics.json").write_text("{}")
    (lookalike / "a.csv").write_text("mine")
    result = cli("evaluate", "--cache", tiny_cache, "--head", tiny_head, "--out", lookalike, "--overwrite")
    assert result.exit_code != 0 and "not an evaluation folder" in result.output
    assert sorted(p.name for p in lookalike.iterdir()) == ["a.csv", "metrics.json"]


def test_fit_head_evaluate_and_export_refuse_to_replace_their_inputs(tiny_cache, tiny_head):
    cache_before, head_before = snapshot(tiny_cache), snapshot(tiny_head)
    fit = cli("fit-head", "--cache", tiny_cache, "--out", tiny_cache, "--overwrite", "--epochs", "1", "--quiet")
    assert fit.exit_code != 0 and "also an input" in fit.output
    evaluated = cli("evaluate", "--cache", tiny_cache, "--head", tiny_head, "--out", tiny_head, "--overwrite")
    assert evaluated.exit_code != 0 and "also an input" in evaluated.output
    exported = cli("export-hf", "--head", tiny_head, "--out", tiny_head, "--overwrite")
    assert exported.exit_code != 0 and "also an input" in exported.output
    assert snapshot(tiny_cache) == cache_before and snapshot(tiny_head) == head_before


def test_a_head_does_not_overwrite_a_cache_of_another_run(tiny_cache, tmp_path):
    other_cache = tmp_path / "other-cache"
    shutil.copytree(tiny_cache, other_cache)
    result = cli("fit-head", "--cache", tiny_cache, "--out", other_cache, "--overwrite", "--epochs", "1", "--quiet")
    assert result.exit_code != 0 and "not a head folder" in result.output
    assert (other_cache / "manifest.json").is_file()


def test_synth_overwrite_replaces_only_its_own_files(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    (folder / "client_corpus.jsonl").write_text('{"text": "x", "spans": []}\n')
    assert cli("synth", "--n-english", 3, "--n-french", 3, "--out", folder).exit_code == 0
    again = cli("synth", "--n-english", 3, "--n-french", 3, "--out", folder)
    assert again.exit_code != 0 and "--overwrite" in again.output
    assert cli("synth", "--n-english", 4, "--n-french", 0, "--out", folder, "--overwrite").exit_code == 0
    assert (folder / "notes.txt").read_text() == "keep me"
    assert (folder / "client_corpus.jsonl").exists()
    assert len((folder / "english_synthetic.jsonl").read_text().splitlines()) == 4
    assert not (folder / "french_synthetic.jsonl").exists()  # a stale corpus file of its own is removed


def test_demo_refuses_a_git_clone_even_with_overwrite(tmp_path):
    clone = tmp_path / "clone"
    (clone / ".git").mkdir(parents=True)
    (clone / "uncommitted.py").write_text("work in progress")
    result = cli("demo", "--backbone", "tiny", "--workdir", clone, "--overwrite", "--quiet")
    assert result.exit_code != 0 and "not a demo folder" in result.output
    assert (clone / "uncommitted.py").read_text() == "work in progress" and (clone / ".git").is_dir()


# ---------------------------------------------------------------------------------------------
# One writer per cache
# ---------------------------------------------------------------------------------------------

LOCK_HOLDER = """
import sys, time
from pathlib import Path
from extract.cache_writer import CacheLock
lock = CacheLock(Path(sys.argv[1])).acquire()  # kept: closing the file would release it
print("locked", flush=True)
time.sleep(600)
"""


def test_a_second_extract_on_a_locked_cache_stops_at_once_and_a_dead_holder_is_taken_over(
        prepared_dir, tiny_model_dir, tmp_path):
    reference = tmp_path / "reference"
    run_extract(extract_config(prepared_dir, tiny_model_dir, reference))
    out = tmp_path / "cache"
    run_extract(extract_config(prepared_dir, tiny_model_dir, out))
    (out / "val" / "shard-00000.h5").unlink()  # an unfinished cache: the next run must compute
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(out)], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        before = snapshot(out)
        with pytest.raises(PiiTaggerError, match=f"in use by another `extract` \\(PID {holder.pid}\\)"):
            run_extract(extract_config(prepared_dir, tiny_model_dir, out))
        assert snapshot(out) == before  # refused before touching anything
    finally:
        os.kill(holder.pid, signal.SIGKILL)  # a crash: the lock file stays, the lock does not
        holder.wait()
    assert (out / ".lock").read_text().strip() == str(holder.pid)
    result = run_extract(extract_config(prepared_dir, tiny_model_dir, out))
    assert result.complete and result.shards_written == 1
    _assert_same_shards(reference, out)


# Imports everything first (seconds), says so, then runs `cli.py extract` when the test says go:
# both runs then start within milliseconds, so they overlap whatever the machine's speed.
READY_THEN_EXTRACT = """
import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import cli
from extract import extractor  # noqa: F401  (the heavy imports, before the start line)
print("ready", flush=True)
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.001)
cli.main(args=sys.argv[3:], prog_name="cli.py")
"""


def test_two_extracts_at_once_leave_one_complete_cache(prepared_dir, tiny_model_dir, tmp_path):
    reference = tmp_path / "reference"
    run_extract(extract_config(prepared_dir, tiny_model_dir, reference, shard_tokens=200, batch_tokens=128))
    out, go = tmp_path / "cache", tmp_path / "go"
    arguments = ["extract", "--data", str(prepared_dir), "--model", str(tiny_model_dir), "--out", str(out),
                 "--max-length", "64", "--stride", "16", "--shard-tokens", "200", "--batch-tokens", "128",
                 "--dtype", "float32", "--quiet"]
    runs = [subprocess.Popen([sys.executable, "-c", READY_THEN_EXTRACT, str(ROOT), str(go), *arguments], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        for run in runs:
            assert run.stdout.readline().strip() == "ready"
        go.touch()
        outputs = [run.communicate(timeout=300) for run in runs]
    finally:
        for run in runs:
            run.kill()
    assert sorted(run.returncode for run in runs) == [0, 1]  # one wrote the cache, the other stopped at once
    assert "in use by another `extract`" in "".join(err for _, err in outputs)
    _assert_same_shards(reference, out)


def _assert_same_shards(a: Path, b: Path) -> None:
    ra, rb = CacheReader(a), CacheReader(b)
    assert ra.manifest["complete"] and rb.manifest["complete"]
    for split in ra.splits:
        da, db = ra.read_split(split, ra.layers), rb.read_split(split, rb.layers)
        np.testing.assert_array_equal(da.features, db.features)
        np.testing.assert_array_equal(da.labels, db.labels)
        assert [r.id for r in da.records] == [r.id for r in db.records]


# ---------------------------------------------------------------------------------------------
# The weights are in the fingerprint
# ---------------------------------------------------------------------------------------------

def _retrained_copy(model_dir: Path, seed: int) -> None:
    """Other weights of the same shape, saved where the old ones were."""
    from extract.offline_models import tiny_mistral

    tiny_mistral(model_dir, seed=seed)


def test_resume_with_other_weights_at_the_same_path_is_refused(prepared_dir, tiny_model_dir, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    out = tmp_path / "cache"
    run_extract(extract_config(prepared_dir, model, out))
    (out / "train" / "shard-00001.h5").unlink()  # as after kill -9: unfinished
    _retrained_copy(model, seed=123)
    with pytest.raises(PiiTaggerError, match="made differently.*backbone.weights"):
        run_extract(extract_config(prepared_dir, model, out))


def test_the_same_weights_elsewhere_or_with_a_trailing_slash_resume(prepared_dir, tiny_model_dir, tmp_path):
    out = tmp_path / "cache"
    run_extract(extract_config(prepared_dir, tiny_model_dir, out))
    (out / "train" / "shard-00001.h5").unlink()
    copy = tmp_path / "elsewhere" / "model"
    shutil.copytree(tiny_model_dir, copy)
    result = run_extract(extract_config(prepared_dir, Path(str(copy) + "/"), out))
    assert result.complete and result.shards_written == 1


def test_a_head_refuses_a_cache_or_backbone_with_other_weights(tiny_head, tiny_cache, prepared_dir, tiny_model_dir,
                                                               tmp_path):
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    _retrained_copy(model, seed=99)
    other_cache = tmp_path / "cache"
    run_extract(extract_config(prepared_dir, model, other_cache, max_length=64, stride=16))
    refused = cli("evaluate", "--cache", other_cache, "--head", tiny_head, "--out", tmp_path / "eval")
    assert refused.exit_code != 0 and "backbone.weights" in refused.output and "--allow-other-backbone" in refused.output
    forced = cli("evaluate", "--cache", other_cache, "--head", tiny_head, "--out", tmp_path / "eval",
                 "--allow-other-backbone")
    assert forced.exit_code == 0, forced.output
    with pytest.raises(PiiTaggerError, match="other weights.*`allow_other_backbone`"):
        Tagger.from_pretrained(tiny_head, str(model))
    tagged = Tagger.from_pretrained(tiny_head, str(model), allow_other_backbone=True).tag(["Call Bob"])
    assert tagged[0].text == "Call Bob"


# ---------------------------------------------------------------------------------------------
# Non-finite values never pass
# ---------------------------------------------------------------------------------------------

def _poison(cache: Path, split: str, layer: int) -> None:
    shard = sorted((cache / split).glob("shard-*.h5"))[0]
    with h5py.File(shard, "r+") as h5:
        h5[f"features/layer_{layer}"][3, 5] = np.nan


def test_nan_in_train_features_stops_fit_head_and_writes_nothing(tiny_cache, tmp_path):
    cache = tmp_path / "cache"
    shutil.copytree(tiny_cache, cache)
    _poison(cache, "train", 1)
    with pytest.raises(NonFiniteError, match="non-finite feature values.*text"):
        fit_head(FitConfig(cache=cache, out=tmp_path / "head", lrs=(1e-2,), hp=Hyperparameters(epochs=1),
                           progress=False))
    assert not (tmp_path / "head").exists()


def test_nan_in_val_features_stops_evaluate(tiny_cache, tiny_head, tmp_path):
    cache = tmp_path / "cache"
    shutil.copytree(tiny_cache, cache)
    _poison(cache, "test", 1)
    result = cli("evaluate", "--cache", cache, "--head", tiny_head, "--out", tmp_path / "eval")
    assert result.exit_code != 0 and "non-finite feature values" in result.output
    assert not (tmp_path / "eval").exists()


def test_a_head_with_nan_weights_fails_closed(tiny_head, tmp_path):
    head = tmp_path / "head"
    shutil.copytree(tiny_head, head)
    tensors = load_file(str(head / "head.safetensors"))
    tensors["weight"][:] = np.nan
    save_file(tensors, str(head / "head.safetensors"))
    with pytest.raises(NonFiniteError, match="non-finite values.*weight"):
        load_head(head)
    result = cli("predict", "--head", head, "Call Jean Dupont on 06 12 34 56 78")
    assert result.exit_code != 0 and "no PII found" not in result.output


def test_non_finite_hidden_states_are_refused_naming_the_text(prepared_dir, tiny_model_dir, tmp_path):
    from transformers import AutoModel

    broken = tmp_path / "model"
    shutil.copytree(tiny_model_dir, broken)
    model = AutoModel.from_pretrained(broken)
    model.norm.weight.data[0] = float("nan")
    model.save_pretrained(broken)
    out = tmp_path / "cache"
    with pytest.raises(NonFiniteError, match="non-finite hidden states at layer 2, .*text 'synth-"):
        run_extract(extract_config(prepared_dir, broken, out))
    assert not list(out.rglob("*.h5"))


# ---------------------------------------------------------------------------------------------
# A cache edited by hand
# ---------------------------------------------------------------------------------------------

def test_a_manifest_with_swapped_labels_is_refused(tiny_cache, tmp_path):
    cache = tmp_path / "cache"
    shutil.copytree(tiny_cache, cache)
    manifest = json.loads((cache / "manifest.json").read_text())
    from extract.labels import LabelScheme

    types = list(manifest["fingerprint"]["labels"]["entity_types"])
    types[0], types[1] = types[1], types[0]  # consistently: the label list alone looks valid
    manifest["fingerprint"]["labels"] = LabelScheme("bio", tuple(types)).to_json()
    (cache / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(PiiTaggerError, match="fingerprint was changed after extraction"):
        CacheReader(cache)


def test_a_manifest_with_another_token_count_is_refused(tiny_cache, tmp_path):
    cache = tmp_path / "cache"
    shutil.copytree(tiny_cache, cache)
    manifest = json.loads((cache / "manifest.json").read_text())
    shards = manifest["splits"]["train"]["shards"]
    shards[0]["tokens"], shards[1]["tokens"] = shards[0]["tokens"] + 7, shards[1]["tokens"] - 7  # same total
    (cache / "manifest.json").write_text(json.dumps(manifest))
    result = cli("fit-head", "--cache", cache, "--out", tmp_path / "head", "--epochs", "1", "--quiet")
    assert result.exit_code != 0 and "the manifest says" in result.output and "Traceback" not in result.output


# ---------------------------------------------------------------------------------------------
# Edge inputs: one line naming where and why
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("row, reason", [
    ({"unmasked_text": "Call Bob now", "span_labels": "[[3, 7, 'X'], {[1]: 2}]", "language": "en"},
     "neither JSON nor a Python literal"),
    ({"unmasked_text": "Call Bob now", "span_labels": "[" * 100_000 + "]" * 100_000, "language": "en"},
     "neither JSON nor a Python literal"),
    ({"text": "Call\u0000Bob", "spans": [], "language": "en"}, "NUL character"),
])
def test_strange_records_are_one_line_errors_and_skippable(tmp_path, row, reason):
    path = write_jsonl(tmp_path / "english_x.jsonl", [row, {"text": "fine", "spans": [], "language": "en"}])
    result = cli("prepare", "--input", path, "--out", tmp_path / "out", "--val-fraction", 0, "--test-fraction", 0)
    assert result.exit_code != 0 and "line 1: " in result.output and reason in result.output
    assert "Traceback" not in result.output
    skipped = cli("prepare", "--input", path, "--out", tmp_path / "out", "--val-fraction", 0, "--test-fraction", 0,
                  "--skip-invalid")
    assert skipped.exit_code == 0, skipped.output
    assert "1 invalid lines" in skipped.output


def test_deeply_nested_json_and_lone_surrogates(tmp_path):
    fine = '{"text": "fine", "spans": [], "language": "en"}\n'
    nested = tmp_path / "english_nested.jsonl"
    nested.write_text("[" * 100_000 + "]" * 100_000 + "\n" + fine)
    with pytest.raises(PiiTaggerError, match="line 1: malformed JSON"):
        list(read_corpus(nested))
    surrogate = tmp_path / "english_surrogate.jsonl"
    surrogate.write_text(fine + '{"text": "a\\ud800b", "spans": [], "language": "en"}\n')
    with pytest.raises(PiiTaggerError, match="line 2: .*lone surrogate"):
        list(read_corpus(surrogate))
    for path in (nested, surrogate):
        assert [r.text for r in read_corpus(path, skip_invalid=True)] == ["fine"]


def test_non_utf8_bytes_are_skipped_with_skip_invalid(tmp_path):
    path = tmp_path / "english_x.jsonl"
    path.write_bytes(b'{"text": "caf\xe9", "spans": [], "language": "en"}\n{"text": "ok", "spans": [], "language": "en"}\n')
    with pytest.raises(PiiTaggerError, match="line 1: not valid UTF-8"):
        list(read_corpus(path))
    assert [r.text for r in read_corpus(path, skip_invalid=True)] == ["ok"]


def test_predict_on_an_empty_text_with_a_context_window_head(tiny_cache, tmp_path):
    head = tmp_path / "head"
    fit_head(FitConfig(cache=tiny_cache, out=head, lrs=(1e-2,), hp=Hyperparameters(epochs=1), context_window=1,
                       progress=False))
    result = cli("predict", "--head", head, "")
    assert result.exit_code == 0 and "no PII found" in result.output


def test_outputs_that_cannot_be_written_fail_before_the_work(tiny_cache, tiny_head, read_only_dir, tmp_path,
                                                              monkeypatch):
    import head.fit

    monkeypatch.setattr(head.fit, "train_trials", lambda *a, **k: pytest.fail("trained before checking --out"))
    fit = cli("fit-head", "--cache", tiny_cache, "--out", read_only_dir / "head", "--epochs", "1", "--quiet")
    assert fit.exit_code != 0 and "cannot write in" in fit.output
    folder_output = cli("predict", "--head", tiny_head, "--input", "-", "--output", tmp_path)
    assert folder_output.exit_code != 0 and "is a folder" in folder_output.output
    read_only = cli("predict", "--head", tiny_head, "Call Bob", "--output", read_only_dir / "tagged.jsonl")
    assert read_only.exit_code != 0 and "cannot write in" in read_only.output


def test_a_full_disk_is_a_clear_error_and_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "out.jsonl"
    target.write_text("old content\n")

    def full(*_args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(PiiTaggerError, match=f"cannot write {target}: No space left on device"):
        with atomic_open(target) as handle:
            handle.write("new content\n")
    assert target.read_text() == "old content\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


def test_an_unexpected_error_keeps_its_traceback(tiny_head, monkeypatch):
    """Only the project's own errors become one-line messages; a bug must stay visible."""
    import head.checkpoint

    def bug(*_args, **_kwargs):
        raise ValueError("operands could not be broadcast together")

    monkeypatch.setattr(head.checkpoint, "load_head", bug)
    monkeypatch.setattr("head.tagger.load_head", bug)
    monkeypatch.setattr("head.predict.load_head", bug)  # predict loads the head before the backbone
    result = cli("predict", "--head", tiny_head, "Call Bob")
    assert result.exit_code != 0 and isinstance(result.exception, ValueError)
    assert not isinstance(result.exception, PiiTaggerError)
