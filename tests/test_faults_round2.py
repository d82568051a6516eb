"""Fault probe, round 2: nothing foreign touched, nothing silently wrong, no traceback.

Each test reproduces one case of the probe (tiny backbone, scratch folders) and fails without
the fix it names.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

from cli import main
from extract import files as files_module
from extract import weights as weights_module
from extract.cache_format import MANIFEST, STRINGS_DIGEST
from extract.cache_reader import CacheReader
from extract.cache_writer import CacheLock
from extract.errors import NonFiniteError, PiiTaggerError, PiiTaggerNotice, UnsafeOutputError
from extract.extractor import ExtractConfig, run_extract
from extract.files import MARKER, output_folder
from extract.leftovers import clean_leftovers
from extract.weights import file_digest, weights_identity
from head.configs import Hyperparameters
from head.fit import FitConfig, fit_head

ROOT = Path(__file__).resolve().parents[1]


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def flip_byte(path: Path, offset: int, mask: int = 0x01) -> None:
    with open(path, "r+b") as handle:
        handle.seek(offset)
        value = handle.read(1)[0]
        handle.seek(offset)
        handle.write(bytes([value ^ mask]))


def dead_pid() -> int:
    """A PID no process has now: a short-lived child's, once it has been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def copy_cache(cache: Path, tmp_path: Path) -> Path:
    target = tmp_path / "cache"
    shutil.copytree(cache, target)
    return target


# -- 1. --overwrite replaces only folders carrying the tool's marker -----------------------------

def test_look_alike_export_and_cache_folders_are_never_replaced(last_layer_head, tiny_model_dir, prepared_dir,
                                                                tmp_path):
    export = tmp_path / "f"
    shutil.copytree(tiny_model_dir, export)  # config.json + model.safetensors: looks like an export
    (export / "NOTES.md").write_text("mine")
    result = cli("export-hf", "--head", last_layer_head, "--out", export, "--overwrite")
    assert result.exit_code != 0 and "not an export folder" in result.output
    assert (export / "NOTES.md").read_text() == "mine"

    website = tmp_path / "w"
    website.mkdir()
    (website / "manifest.json").write_text("{}")
    (website / "index.html").write_text("<p>mine</p>")
    for flags in ((), ("--overwrite",)):
        result = cli("extract", "--data", prepared_dir, "--model", tiny_model_dir, "--out", website, *flags)
        assert result.exit_code != 0 and "not a cache written by `extract`" in result.output, result.output
        assert sorted(p.name for p in website.iterdir()) == ["index.html", "manifest.json"]  # no .lock left


# -- 2. the backbone is an input: never replaced, never written into -----------------------------

def test_export_and_predict_never_write_over_the_backbone(last_layer_head, tiny_model_dir, tmp_path):
    exported = tmp_path / "exported"
    assert cli("export-hf", "--head", last_layer_head, "--out", exported).exit_code == 0
    before = snapshot(exported)
    # An export is a backbone too; replacing it while reading it lost its tokenizer.
    result = cli("export-hf", "--head", last_layer_head, "--model", exported, "--out", exported, "--overwrite",
                 "--allow-other-backbone")
    assert result.exit_code != 0 and "also an input" in result.output
    backbone = tmp_path / "tA"
    shutil.copytree(tiny_model_dir, backbone)
    weights = (backbone / "model.safetensors").read_bytes()
    result = cli("predict", "--head", last_layer_head, "--model", backbone, "--output",
                 backbone / "model.safetensors", "--overwrite", "Call Bob")
    assert result.exit_code != 0 and "inside the input folder" in result.output
    assert snapshot(exported) == before and (backbone / "model.safetensors").read_bytes() == weights


# -- 3. the weights digest reads every byte, and remembers it by the file's stat ---------------

def test_a_byte_changed_anywhere_changes_the_weights_digest(tmp_path, monkeypatch):
    monkeypatch.setenv("PII_TAGGER_CACHE_DIR", str(tmp_path / "memo"))
    path = tmp_path / "model.safetensors"
    path.write_bytes(np.random.default_rng(0).bytes(4 << 20))
    first = file_digest(path)
    memo = json.loads((tmp_path / "memo" / "weight-digests.json").read_text())
    assert memo[str(path)]["racy"] is True  # changed just now: known, not trusted next time
    monkeypatch.setattr(weights_module, "RACY_NS", 0)  # as if written seconds ago: its digest is remembered
    assert file_digest(path) == first
    reads = []
    monkeypatch.setattr(weights_module, "_hash_file", lambda *args: reads.append(args) or "rehashed")
    assert file_digest(path) == first and reads == []  # remembered: the next load reads nothing
    monkeypatch.undo()
    monkeypatch.setenv("PII_TAGGER_CACHE_DIR", str(tmp_path / "memo"))
    monkeypatch.setattr(weights_module, "RACY_NS", 0)
    stat = path.stat()
    flip_byte(path, (1 << 20) + (100 << 10))  # between the old digest's samples
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # even with the old mtime put back
    assert file_digest(path) != first
    assert file_digest(path) == file_digest(path)


def test_weights_changed_between_samples_are_refused_by_predict(tiny_head, tiny_model_dir, tmp_path):
    changed = tmp_path / "tA"
    shutil.copytree(tiny_model_dir, changed)
    weights = changed / "model.safetensors"
    data = bytearray(weights.read_bytes())
    start = (1 << 20) + (64 << 10)  # after the old digest's first samples, before the next one
    for offset in range(start + 3, start + (300 << 10), 4):
        data[offset] ^= 0x80  # the sign of most float32 weights there
    weights.write_bytes(bytes(data))
    old_way = weights_identity(str(tiny_model_dir), sampled=True)
    assert weights_identity(str(changed), sampled=True) == old_way  # what the probe found
    result = cli("predict", "--head", tiny_head, "--model", changed, "Call Bob on 555-123-4567")
    assert result.exit_code != 0 and "other weights" in result.output


def test_a_head_with_an_older_sampled_digest_is_still_recognised(tiny_head, tiny_model_dir, tmp_path):
    from head.checkpoint import load_head

    head = tmp_path / "head"
    shutil.copytree(tiny_head, head)
    meta = json.loads((head / "head.json").read_text())
    meta["backbone"] = {k: v for k, v in meta["backbone"].items() if k != "source"}
    meta["backbone"]["name_or_path"] = str(tiny_model_dir)  # older heads recorded the path
    backbone = meta["features_fingerprint"]["backbone"]
    backbone["weights"] = weights_identity(str(tiny_model_dir), sampled=True)
    (head / "head.json").write_text(json.dumps(meta))
    result = cli("predict", "--head", head, "Call Bob")
    assert result.exit_code == 0, result.output
    assert "note: the head" in result.output and "sampled digest" in result.output
    assert load_head(head).features_fingerprint["backbone"]["weights"].get("hash") is None


# -- 4. a shard missing from the manifest ---------------------------------------------------------

def test_a_shard_dropped_from_the_manifest_is_refused_and_extract_repairs_it(tiny_cache, prepared_dir,
                                                                             tiny_model_dir, tmp_path):
    cache = copy_cache(tiny_cache, tmp_path)
    manifest = json.loads((cache / MANIFEST).read_text())
    planned = manifest["splits"]["train"]["shards_planned"]
    manifest["splits"]["train"]["shards"].pop()  # still "complete", still planned
    (cache / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(PiiTaggerError, match=f"train split lists {planned - 1} of its {planned} shards"):
        CacheReader(cache)
    result = cli("evaluate", "--cache", cache, "--head", tmp_path / "none", "--out", tmp_path / "report")
    assert result.exit_code != 0 and "lists" in result.output and "Traceback" not in result.output
    run_extract(ExtractConfig(data=prepared_dir, out=cache, model=str(tiny_model_dir), dtype="float32",
                              max_length=64, stride=16, batch_tokens=1024, shard_tokens=1500, progress=False))
    assert CacheReader(cache).n_examples("train") == CacheReader(tiny_cache).n_examples("train")


# -- 5. shard checksums ---------------------------------------------------------------------------

def test_a_flipped_byte_in_features_or_texts_is_refused(tiny_cache, tmp_path):
    cache = copy_cache(tiny_cache, tmp_path)
    reader = CacheReader(cache)
    shard = reader.shard_paths("train")[0]
    with h5py.File(shard, "r") as h5:
        dataset = h5[f"features/layer_{reader.layers[0]}"]
        assert dataset.fletcher32 and h5.attrs[STRINGS_DIGEST]
        offset = dataset.id.get_chunk_info(0).byte_offset
        text = h5["examples/text"][0].decode()
    flip_byte(shard, offset + 1003, 0x40)  # a float32's top exponent bit: 0.016 becomes ~1e35, still finite
    with pytest.raises(PiiTaggerError, match="damaged cache shard"):
        reader.read_split("train", reader.layers)
    result = cli("fit-head", "--cache", cache, "--out", tmp_path / "head", "--epochs", "1", "--quiet")
    assert result.exit_code != 0 and "damaged cache shard" in result.output and "Traceback" not in result.output

    cache = copy_cache(tiny_cache, tmp_path / "texts")
    shard = CacheReader(cache).shard_paths("train")[0]
    data = shard.read_bytes()
    at = data.find(text.encode()) + 2
    assert at > 2 and chr(data[at]).isalpha()
    flip_byte(shard, at, 0x01)  # one letter of the gold text
    with pytest.raises(PiiTaggerError, match="texts, ids or gold spans do not match"):
        CacheReader(cache).read_split("train")


def strip_checksums(shard: Path) -> None:
    """Rewrite a shard as versions before checksums wrote it: no filter, no strings digest."""
    old = shard.with_name("old.h5")
    with h5py.File(shard, "r") as source, h5py.File(old, "w") as target:
        def copy(name, item):  # returns None: visititems goes on
            if isinstance(item, h5py.Dataset):
                target.create_dataset(name, data=item[()], dtype=item.dtype)

        source.visititems(copy)
        target.attrs.update({k: v for k, v in source.attrs.items() if k != STRINGS_DIGEST})
    os.replace(old, shard)


def test_a_cache_from_before_checksums_is_read_with_a_notice(tiny_cache, tmp_path):
    cache = copy_cache(tiny_cache, tmp_path)
    reader = CacheReader(cache)
    for shard in reader.shard_paths("val"):
        strip_checksums(shard)
    expected = CacheReader(tiny_cache).read_split("val", reader.layers)
    with pytest.warns(PiiTaggerNotice, match="before shards carried checksums") as caught:
        data = reader.read_split("val", reader.layers)
    assert len([w for w in caught if issubclass(w.category, PiiTaggerNotice)]) == 1  # once, not per shard
    np.testing.assert_array_equal(data.features, expected.features)


# -- 6. a full disk ---------------------------------------------------------------------------------

def test_extract_on_a_full_disk_stops_before_the_backbone_loads(prepared_dir, tiny_model_dir, tmp_path,
                                                                monkeypatch):
    monkeypatch.setattr(files_module.shutil, "disk_usage", lambda _path: shutil._ntuple_diskusage(1 << 30, 1 << 30,
                                                                                                  64 << 10))
    monkeypatch.setattr("extract.extractor.load_backbone", lambda *_: pytest.fail("the backbone was loaded"))
    result = cli("extract", "--data", prepared_dir, "--model", tiny_model_dir, "--out", tmp_path / "cache",
                 "--dtype", "float32", "--max-length", 64, "--stride", 16)
    assert result.exit_code != 0 and "is free on that disk" in result.output and "Traceback" not in result.output


def test_a_disk_that_fills_while_extracting_leaves_no_temporary_shard(prepared_dir, tiny_model_dir, tmp_path,
                                                                      monkeypatch):
    from extract import cache_writer

    def fill_the_disk(tmp, *_args):
        Path(tmp).write_bytes(b"\0" * 4096)  # part of a shard, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cache_writer, "_write_hdf5", fill_the_disk)
    out = tmp_path / "cache"
    with pytest.raises(PiiTaggerError, match="cannot write .*shard-00000.h5: No space left on device"):
        run_extract(ExtractConfig(data=prepared_dir, out=out, model=str(tiny_model_dir), dtype="float32",
                                  max_length=64, stride=16, progress=False))
    assert not list(out.rglob("*.tmp")) and not list(out.rglob("*.h5"))


def test_fit_head_on_a_full_disk_is_one_line_and_writes_nothing(tiny_cache, tmp_path, monkeypatch):
    from safetensors import SafetensorError

    def full(*_args, **_kwargs):  # what safetensors raises when the disk is full
        raise SafetensorError('Error while serializing: IoError(Os { code: 28, kind: StorageFull, message: '
                              '"No space left on device" })')

    monkeypatch.setattr("head.checkpoint.save_file", full)
    result = cli("fit-head", "--cache", tiny_cache, "--out", tmp_path / "head", "--epochs", "1", "--quiet")
    assert result.exit_code != 0 and "no space left on the device" in result.output
    assert "Traceback" not in result.output and list(tmp_path.iterdir()) == []


# -- 7. predict's input -----------------------------------------------------------------------------

def test_predict_names_the_line_of_deep_json_nul_and_surrogates_and_can_skip_them(tiny_head, tmp_path):
    path = tmp_path / "texts.jsonl"
    path.write_text("[" * 100_000 + "]" * 100_000 + '\n"a\\u0000b"\n"fine"\n"a\\ud800b"\n')
    result = cli("predict", "--head", tiny_head, "--input", path, "--output", tmp_path / "out.jsonl")
    assert result.exit_code != 0 and f"{path}, line 1: malformed JSON" in result.output
    assert "Traceback" not in result.output
    skipped = cli("predict", "--head", tiny_head, "--input", path, "--output", tmp_path / "out.jsonl",
                  "--skip-invalid", "--quiet")
    assert skipped.exit_code == 0, skipped.output
    assert [json.loads(line)["id"] for line in (tmp_path / "out.jsonl").read_text().splitlines()] == ["3"]
    assert "skipped 3 invalid lines" in skipped.output and "NUL" in skipped.output
    assert "lone surrogate" in skipped.output
    path.write_text('"fine"\n"a\\ud800b"\n')
    result = cli("predict", "--head", tiny_head, "--input", path, "--output", tmp_path / "other.jsonl")
    assert result.exit_code != 0 and f"{path}, line 2: the text holds a lone surrogate" in result.output


# -- 8. labels are never parsed as mathtext ----------------------------------------------------------

def test_a_label_with_dollars_and_backslashes_is_plotted_as_written(tmp_path):
    from evaluation.plots import plot_per_class_f1
    from tests.helpers import assert_png

    label = r"CITY$\undefinedcmd{$"
    metrics = {"strict": {"per_class": {label: {"f1": 0.5, "gold": 3}, "EMAIL": {"f1": 1.0, "gold": 2}}}}
    assert_png(plot_per_class_f1(metrics, tmp_path / "per_class.png"))


# -- 9. demo and cache folders that hold the current folder, or a .lock that is a folder ------------

def test_demo_refuses_to_replace_the_folder_it_runs_in(tmp_path, monkeypatch):
    old_demo = tmp_path / "demo-work"
    (old_demo / "inside").mkdir(parents=True)
    (old_demo / MARKER).write_text(json.dumps({"tool": "llm-pii-tagger", "kind": "demo"}))
    monkeypatch.chdir(old_demo / "inside")
    for workdir in ("..", "../.."):
        result = cli("demo", "--backbone", "tiny", "--workdir", workdir, "--overwrite", "--quiet")
        assert result.exit_code != 0 and "is the current folder or holds it" in result.output, result.output
    monkeypatch.chdir(old_demo)
    result = cli("demo", "--backbone", "tiny", "--workdir", ".", "--overwrite", "--quiet")
    assert result.exit_code != 0 and "is the current folder or holds it" in result.output
    assert (old_demo / "inside").is_dir() and (old_demo / MARKER).is_file()


def test_a_lock_that_is_a_folder_is_a_clear_error(tmp_path):
    (tmp_path / "cache" / ".lock").mkdir(parents=True)
    with pytest.raises(PiiTaggerError, match="cannot open the cache's lock file"):
        CacheLock(tmp_path / "cache").acquire()


# -- 10. a diverging trial is dropped, not fatal ----------------------------------------------------

def test_a_diverged_trial_is_dropped_and_named(tiny_cache, tmp_path):
    result = fit_head(FitConfig(cache=tiny_cache, out=tmp_path / "head", lrs=(1e30, 1e-2),
                                hp=Hyperparameters(epochs=2), progress=False))
    assert result.best.trial.lr == 1e-2
    diverged = [r for r in result.results if r.diverged_at is not None]
    assert [r.trial.lr for r in diverged] == [1e30]
    assert dict(result.summary())["dropped"].endswith("lr=1e+30 wd=0.01 (epoch 1)")
    rows = json.loads((tmp_path / "head" / "trials.json").read_text())
    assert rows[-1]["lr"] == 1e30 and rows[-1]["diverged_at"] == 1
    with pytest.raises(NonFiniteError, match="every trial diverged"):
        fit_head(FitConfig(cache=tiny_cache, out=tmp_path / "none", lrs=(1e30,), hp=Hyperparameters(epochs=1),
                           progress=False))
    assert not (tmp_path / "none").exists()


# -- 11. a backbone folder that does not exist -------------------------------------------------------

def test_a_missing_model_folder_is_named_as_such(tiny_head, prepared_dir, tmp_path):
    for args in (("predict", "--head", tiny_head, "--model", "./nomodel", "Call Bob"),
                 ("extract", "--data", prepared_dir, "--model", "./nomodel", "--out", tmp_path / "cache")):
        result = cli(*args)
        assert result.exit_code != 0 and "--model ./nomodel: no such folder" in result.output
        assert "Repo id" not in result.output


# -- 12. hidden leftovers of a killed run -------------------------------------------------------------

def test_leftovers_of_dead_runs_are_removed_and_others_are_listed(tmp_path):
    target = tmp_path / "head"
    target.mkdir()  # complete: the copies moved aside are no longer needed
    dead, alive = dead_pid(), os.getppid()
    (tmp_path / f".head.old-{dead}").mkdir()
    (tmp_path / f".head.replaced-{dead}" / "deep").mkdir(parents=True)
    (tmp_path / f".head.{dead}.k3j2x9ab.partial").mkdir()
    (tmp_path / f".head.{alive}.k3j2x9ab.partial").mkdir()  # a live run's: left alone
    (tmp_path / ".head.x8f2kq1z.partial").mkdir()  # an older version's: its maker cannot be told
    (tmp_path / ".head.old-99999999999999999999").mkdir()  # no such PID anywhere: listed, no traceback
    (tmp_path / ".headroom.old-1").mkdir()  # another output's
    with pytest.warns(PiiTaggerNotice) as caught:
        removed = clean_leftovers(target)
    assert sorted(p.name for p in removed) == sorted([f".head.old-{dead}", f".head.replaced-{dead}",
                                                     f".head.{dead}.k3j2x9ab.partial"])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([
        "head", f".head.{alive}.k3j2x9ab.partial", ".head.x8f2kq1z.partial", ".head.old-99999999999999999999",
        ".headroom.old-1"])
    notes = " ".join(str(w.message) for w in caught)
    assert "removed what an interrupted run left" in notes and "rm -rf" in notes and "x8f2kq1z" in notes


def test_the_only_copy_of_an_output_is_put_back_or_kept_never_removed(tmp_path):
    dead = dead_pid()
    aside = tmp_path / f".head.old-{dead}"  # killed between moving the old head aside and putting the new one
    aside.mkdir()
    (aside / "head.json").write_text("{}")
    with pytest.warns(PiiTaggerNotice, match="put back head"):
        assert clean_leftovers(tmp_path / "head") == []
    assert (tmp_path / "head" / "head.json").read_text() == "{}" and not aside.exists()

    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / MANIFEST).write_text(json.dumps({"complete": False}))  # the new cache, half done
    replaced = tmp_path / f".cache.replaced-{dead}"
    replaced.mkdir()
    from extract.cache_writer import cache_complete

    with pytest.warns(PiiTaggerNotice, match="kept at .* until cache is complete"):
        assert clean_leftovers(cache, cache_complete) == []
    assert replaced.is_dir()
    (cache / MANIFEST).write_text(json.dumps({"complete": True}))
    with pytest.warns(PiiTaggerNotice, match="removed"):
        assert clean_leftovers(cache, cache_complete) == [replaced]


def test_the_next_run_cleans_up_after_a_killed_overwrite(tiny_cache, tmp_path):
    out = tmp_path / "head"
    with output_folder(out, kind="head") as staging:
        (staging / "head.json").write_text("{}")
    dead = dead_pid()
    shutil.copytree(out, tmp_path / f".head.replaced-{dead}")  # what kill -9 during --overwrite leaves
    (tmp_path / f".head.{dead}.abc12xyz.partial").mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PiiTaggerNotice)
        fit_head(FitConfig(cache=tiny_cache, out=out, lrs=(1e-2,), hp=Hyperparameters(epochs=1), overwrite=True,
                           progress=False))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["head"]


def test_the_current_folder_is_never_replaced(tmp_path, monkeypatch):
    folder = tmp_path / "out"
    folder.mkdir()
    monkeypatch.chdir(folder)
    with pytest.raises(UnsafeOutputError, match="current folder"):
        with output_folder(".", overwrite=True):
            pass
    assert folder.is_dir() and Path.cwd() == folder
