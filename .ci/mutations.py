"""Remove one guard at a time in a copy of the repository and check that its test then fails.

Each entry: (guard, file, code, the code without the guard, the tests that must fail). Not part
of `make test` (it runs the named tests once per guard, minutes in all).
Run: .venv/bin/python .ci/mutations.py [GUARD ...]
"""
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SRC = Path(__file__).resolve().parents[1]
COPY = Path(tempfile.mkdtemp(prefix="pii-tagger-mutations-")) / "repo"
GUARDS = [
 ("overwrite kind check", "extract/files.py", "if kind is not None and found != kind:", "if False:",
  "tests/test_faults.py::test_extract_overwrite_refuses_a_folder_that_is_not_a_cache tests/test_faults.py::test_demo_refuses_a_git_clone_even_with_overwrite"),
 ("inputs/outputs disjoint", "extract/files.py", '    Replacing such a folder would delete what the command is about to read.\n    """\n', '    Replacing such a folder would delete what the command is about to read.\n    """\n    return\n',
  "tests/test_faults.py::test_prepare_into_its_own_data_dir_is_refused_and_deletes_nothing tests/test_faults.py::test_extract_into_its_input_is_refused"),
 ("cache lock", "extract/cache_writer.py", "    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)", "    pass",
  "tests/test_faults.py::test_a_second_extract_on_a_locked_cache_stops_at_once_and_a_dead_holder_is_taken_over tests/test_faults.py::test_two_extracts_at_once_leave_one_complete_cache"),
 ("weights in fingerprint", "extract/extractor.py", '"weights": weights_identity(config.model, config.gguf_file, commit),', '"weights": "same",',
  "tests/test_faults.py::test_resume_with_other_weights_at_the_same_path_is_refused tests/test_faults.py::test_a_head_refuses_a_cache_or_backbone_with_other_weights"),
 ("finite features", "extract/cache_reader.py", '    A non-finite feature would make a head\'s weights NaN, and a NaN head finds no PII.\n', '    A non-finite feature would make a head\'s weights NaN, and a NaN head finds no PII.\n    """\n    return\n    """\n',
  "tests/test_faults.py::test_nan_in_train_features_stops_fit_head_and_writes_nothing tests/test_faults.py::test_nan_in_val_features_stops_evaluate"),
 ("finite head", "head/checkpoint.py", "    if broken:\n        raise NonFiniteError", "    if False:\n        raise NonFiniteError",
  "tests/test_faults.py::test_a_head_with_nan_weights_fails_closed"),
 ("finite hidden states", "extract/extractor.py", "    if np.isfinite(peak) and (feature_dtype != \"float16\" or peak <= FP16_MAX):\n        return", "    if True:\n        return",
  "tests/test_faults.py::test_non_finite_hidden_states_are_refused_naming_the_text"),
 ("manifest fingerprint hash", "extract/cache_reader.py", "if fingerprint_hash(self.fingerprint) != self.fingerprint_id:", "if False:",
  "tests/test_faults.py::test_a_manifest_with_swapped_labels_is_refused"),
 ("shard check", "extract/cache_reader.py", '        """The shard\'s attributes and array shapes against its manifest entry: cheap, no data read."""\n', '        """The shard\'s attributes and array shapes against its manifest entry: cheap, no data read."""\n        return\n',
  "tests/test_faults.py::test_a_manifest_with_another_token_count_is_refused"),
 ("NUL / surrogate check", "extract/records.py", '    """Refuse characters no tokenizer or HDF5 string can carry: NUL and lone surrogates."""\n', '    """Refuse characters no tokenizer or HDF5 string can carry: NUL and lone surrogates."""\n    return\n',
  "tests/test_faults.py"),
 ("O bias folded into export", "head/export.py", "    bias[0] -= loaded.outside_bias", "    pass",
  "tests/test_export_pipeline.py tests/test_predict.py::test_export_hf_gives_the_heads_logits_and_runs_in_a_pipeline"),
 ("final full stop trimmed", "head/tagging.py", "            if _is_final_stop(text, start, end, span.label):",
  "            if False:", "tests/test_tagging.py"),
 ("spaceless address widened", "head/tagging.py", "        start, end = _whole_run(text, span, low, high)",
  "        start, end = span.start, span.end", "tests/test_tagging.py"),
 ("widened spans scored as decoded", "head/tagging.py", "[_scored_part(c, d) for c, d in pairs]", "found",
  "tests/test_tagging.py"),
 ("cards of other schemes", "extract/synth.py", "    if rng.random() < _WORLD_CARD_SHARE:", "    if False:",
  "tests/test_synth.py::test_card_numbers_are_valid_13_to_19_digits_often_unspaced"),
 ("one-to-one matching", "evaluation/spans.py", "        if not gold_hit[g] and not pred_hit[p]:\n", "        if True:\n",
  "tests/test_redaction_metrics.py"),
 ("viterbi: no entity starts inside", "head/decoding.py", "    padded[:, 0, inside_ids] = -np.inf  # no entity starts inside", "    pass",
  "tests/test_exactness.py"),
 ("echo windows keep the centre", "extract/tokens.py", "keep_from = start + stride // 2 if centred else end_before", "keep_from = end_before",
  "tests/test_windows.py"),
 ("constant feature scale 1", "head/data.py", "        std = np.where(constant, 1.0, std).astype(np.float32)\n        std[std == 0] = 1.0", "        std = std.astype(np.float32)\n        std = np.maximum(std, np.finfo(np.float32).eps)",
  "tests/test_exactness.py"),
 ("predict uses the head threshold", "head/tagger.py", "min_score = self.loaded.threshold if min_score is None else min_score", "min_score = 0.0 if min_score is None else min_score",
  "tests/test_predict.py"),
]
only = sys.argv[1:]
failures = 0
for name, path, old, new, tests in GUARDS:
    if only and name not in only: continue
    if COPY.exists(): shutil.rmtree(COPY)
    shutil.copytree(SRC, COPY, ignore=shutil.ignore_patterns(".venv", ".git", "demo-work", "__pycache__", ".pytest_cache"))
    text = (COPY / path).read_text()
    assert text.count(old) == 1, (name, text.count(old))
    (COPY / path).write_text(text.replace(old, new))
    env = dict(os.environ, PYTHONPATH=str(COPY))
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests.split()],
                       cwd=COPY, env=env, capture_output=True, text=True)
    last = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else r.stderr[-200:]
    # pytest exits 1 when tests fail; 2-5 (a collection error, no test found) prove nothing.
    failures += r.returncode != 1
    verdict = {0: "PASSES without the guard (bad)", 1: "fails without the guard (good)"}.get(
        r.returncode, f"pytest exit {r.returncode}: no verdict (bad)")
    print(f"{verdict} | {name} | {last}", flush=True)
shutil.rmtree(COPY.parent, ignore_errors=True)
sys.exit(1 if failures else 0)
