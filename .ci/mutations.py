"""Remove one guard at a time, in a copy of the repository, and check that its tests then fail.

A guard is marked in the code by a comment `# guard: NAME` at the end of the line it protects;
GUARDS says how to disable that line and which tests (by function name, wherever they live
under tests/) must notice. Not part of `make test`, which only checks that every marker and
every test named here exists (tests/test_mutations.py); this runs the named tests once per
guard, minutes in all.

Run: .venv/bin/python .ci/mutations.py [NAME ...]
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SRC = Path(__file__).resolve().parents[1]
CODE_FOLDERS = ("extract", "head", "evaluation", "tools")
IGNORED = shutil.ignore_patterns(".venv", ".git", "demo-work", "__pycache__", ".pytest_cache")

# How a marked line is disabled:
#   "if False" / "if True": the marked `if CONDITION:` becomes `if False:` / `if True:`
#   "pass": the marked one-line statement becomes `pass`
#   "return": a bare `return` runs before the marked statement (the rest of the check is skipped)
#   ("=", EXPRESSION): the marked `TARGET = VALUE` becomes `TARGET = EXPRESSION`
GUARDS: dict[str, tuple[object, tuple[str, ...]]] = {
    "int8-only-where-faster": ("if False", ("test_demo_quantizes_to_int8_only_where_the_backbone_would_run_in_float32_on_a_cpu",)),
    "overwrite-kind": ("if False", ("test_a_folder_that_only_looks_like_ours_is_never_replaced",
                                    "test_demo_refuses_a_git_clone_even_with_overwrite")),
    "inputs-outputs-disjoint": ("return", ("test_prepare_into_its_own_data_dir_is_refused_and_deletes_nothing",
                                           "test_extract_into_its_input_is_refused")),
    "cache-lock": ("pass", ("test_a_second_extract_on_a_locked_cache_stops_at_once_and_a_dead_holder_is_taken_over",
                            "test_two_extracts_at_once_leave_one_complete_cache")),
    "weights-in-fingerprint": (("=", '"same"'), ("test_resume_with_other_weights_at_the_same_path_is_refused",
                                                  "test_a_head_refuses_a_cache_or_backbone_with_other_weights")),
    "finite-features": ("return", ("test_nan_in_train_features_stops_fit_head_and_writes_nothing",
                                   "test_nan_in_val_features_stops_evaluate")),
    "finite-head": ("if False", ("test_a_head_with_nan_weights_fails_closed",)),
    "finite-hidden-states": ("if True", ("test_non_finite_hidden_states_are_refused_naming_the_text",)),
    "manifest-fingerprint-hash": ("if False", ("test_a_manifest_with_swapped_labels_is_refused",)),
    "shard-check": ("return", ("test_a_manifest_with_another_token_count_is_refused",)),
    "nul-and-surrogates": ("return", ("test_deeply_nested_json_and_lone_surrogates",
                                      "test_strange_records_are_one_line_errors_and_skippable")),
    "export-folds-o-bias": ("pass", ("test_pipeline_entities_equal_the_heads_greedy_spans",
                                     "test_export_hf_gives_the_heads_logits_and_runs_in_a_pipeline")),
    "final-stop-trimmed": ("if False", ("test_a_final_full_stop_goes_only_where_the_type_never_ends_in_one",)),
    "whole-run-widened": (("=", "span.start, span.end"), ("test_spans_of_spaceless_addresses_cover_the_whole_address",
                                                          "test_values_written_without_spaces_are_hidden_whole")),
    "numeric-run-widened": ("if False", ("test_no_value_stops_between_two_of_its_figures",)),
    "figures-in-a-run-widened": (("=", "span.start, span.end"), ("test_no_value_stops_between_two_of_its_figures",)),
    "extents-grown": (("=", "start, end"), ("test_multi_word_values_reach_their_natural_extent",)),
    "title-name": ("pass", ("test_the_name_after_a_title_is_hidden_with_it",)),
    "punctuation-alone-dropped": ("if False", ("test_a_span_of_punctuation_alone_is_no_value",)),
    "function-word-dropped": ("if False", ("test_a_function_word_a_lone_letter_or_a_weekday_alone_is_no_value",)),
    "function-word-tail": ("if False", ("test_a_function_word_a_lone_letter_or_a_weekday_alone_is_no_value",)),
    "lone-letter-dropped": ("if False", ("test_a_function_word_a_lone_letter_or_a_weekday_alone_is_no_value",)),
    "sigil-outside": ("if False", ("test_signs_around_a_value_are_not_the_value",
                                   "test_values_written_without_spaces_are_hidden_whole")),
    "title-surname": ("if False", ("test_a_lone_first_name_after_a_title_is_the_surname",)),
    "initial-before-name": (("=", "[]"), ("test_an_initial_before_a_name_is_hidden_with_it",)),
    "title-before-name": ("if False", ("test_a_title_before_a_name_is_hidden_with_it",)),
    "same-type-joined": (("=", "kept"), ("test_neighbours_of_one_type_with_only_a_joiner_between_them_are_one_value",
                                          "test_a_couples_titles_are_one_span")),
    "numeric-parts-joined": ("if False", ("test_parts_of_one_run_of_figures_are_one_value",)),
    "relabelled-by-next-words": (("=", "span"), ("test_the_next_words_may_make_a_span_another_type",)),
    "handle-joined": (("=", "spans"), ("test_names_written_without_a_space_are_one_handle",)),
    "own-final-sign-kept": ("return", ("test_values_written_without_spaces_are_hidden_whole",)),
    "greeting-dropped": ("if False", ("test_a_function_word_a_lone_letter_or_a_weekday_alone_is_no_value",)),
    "capitals-code": ("if False", ("test_a_function_word_a_lone_letter_or_a_weekday_alone_is_no_value",)),
    "lower-case-job-named": ("if False", ("test_a_job_title_in_lower_case_must_name_a_job",)),
    "role-no-job": ("if False", ("test_a_role_in_a_proceeding_alone_is_no_job_title",)),
    "capacity-no-job": ("if False", ("test_an_office_listed_with_a_role_in_a_proceeding_is_no_job_title",)),
    "floor-with-confidence": ("if False", ("test_the_recall_point_needs_its_floor_with_confidence",)),
    "heading-no-name": ("if False", ("test_function_words_of_a_numbered_heading_in_capitals_are_no_name",)),
    "comma-ends-run": ("if False", ("test_list_punctuation_brackets_and_spaces_end_a_value",)),
    "one-run-kept": (("=", "span"), ("test_list_punctuation_brackets_and_spaces_end_a_value",)),
    "unpaired-bracket": ("if False", ("test_list_punctuation_brackets_and_spaces_end_a_value",)),
    "bic-shape": ("if True", ("test_words_in_capitals_are_no_bic",)),
    "number-before-street": ("if False", ("test_figures_beside_a_street_are_its_building_number",)),
    "number-after-street": ("if False", ("test_figures_beside_a_street_are_its_building_number",)),
    "title-relabelled": ("if False", ("test_the_next_words_may_make_a_span_another_type",)),
    "no-span-across-lines": (("=", "list(spans)"), ("test_no_span_runs_over_a_line_break",)),
    "rule-layer": (("=", "scored"), ("test_the_rule_layer_adds_and_widens_spans_and_never_deletes_one",)),
    "widened-spans-scored-as-decoded": (("=", "[cleaned for cleaned, _ in pairs]"),
                                        ("test_a_widened_span_is_scored_on_the_tokens_the_head_labelled",)),
    "cards-of-other-schemes": ("if False", ("test_card_numbers_are_valid_13_to_19_digits_often_unspaced",)),
    "one-to-one-matching": ("if True", ("test_one_to_one_counts_each_span_once",
                                        "test_a_fragmented_entity_is_found_once")),
    "viterbi-start": ("pass", ("test_viterbi_finds_the_best_valid_sequence_of_every_example",)),
    "echo-window-centre": (("=", "end_before"), ("test_window_plans_equal_hand_written_ones",)),
    "constant-scale": (("=", "np.maximum(std, np.finfo(np.float32).eps).astype(np.float32)"),
                       ("test_standardizer_equals_sklearn_and_a_constant_feature_gets_scale_one",)),
    "predict-threshold": (("=", "0.0 if min_score is None else min_score"),
                          ("test_predict_without_options_returns_the_spans_evaluate_counts",)),
    "full-weights-hash": ("if True", ("test_a_byte_changed_anywhere_changes_the_weights_digest",)),
    "manifest-shard-count": ("if False", ("test_a_shard_dropped_from_the_manifest_is_refused_and_extract_repairs_it",)),
    "shard-checksum": (("=", "False"), ("test_a_flipped_byte_in_features_or_texts_is_refused",)),
    "shard-strings-digest": ("if False", ("test_a_flipped_byte_in_features_or_texts_is_refused",)),
    "not-the-current-folder": ("if False", ("test_demo_refuses_to_replace_the_folder_it_runs_in",
                                            "test_the_current_folder_is_never_replaced")),
    "proven-label": (("=", "False"), ("test_a_proven_form_takes_its_own_label_where_it_is_most_of_the_span",)),
    "trained-split-warned": ("if True", ("test_evaluate_warns_on_a_split_the_head_learned_from",)),
    "drop-diverged-trial": (("=", "torch.zeros_like(finite)"), ("test_a_diverged_trial_is_dropped_and_named",)),
    "free-space": ("if False", ("test_extract_on_a_full_disk_stops_before_the_backbone_loads",)),
    "leftovers-of-dead-runs-only": ("if False", ("test_leftovers_of_dead_runs_are_removed_and_others_are_listed",
                                                 "test_the_next_run_cleans_up_after_a_killed_overwrite")),
    "plots-no-mathtext": (("=", "{}"), ("test_a_label_with_dollars_and_backslashes_is_plotted_as_written",)),
}
MARKER = re.compile(r"#\s*guard:\s*([a-z0-9-]+)")


def markers(root: Path) -> dict[str, list[tuple[Path, int]]]:
    """Every `# guard: NAME` in the code under `root`: name -> [(file, line index)]."""
    found: dict[str, list[tuple[Path, int]]] = {}
    for folder in CODE_FOLDERS:
        for path in sorted((root / folder).rglob("*.py")):
            for index, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
                match = MARKER.search(line)
                if match:
                    found.setdefault(match.group(1), []).append((path, index))
    return found


def test_files(root: Path, names: tuple[str, ...]) -> dict[str, list[str]]:
    """Each test function name -> the node ids that define it under tests/."""
    ids: dict[str, list[str]] = {name: [] for name in names}
    for path in sorted((root / "tests").rglob("test_*.py")):
        text = path.read_text(encoding="utf-8")
        for name in names:
            if re.search(rf"^def {re.escape(name)}\(", text, re.MULTILINE):
                ids[name].append(f"{path.relative_to(root).as_posix()}::{name}")
    return ids


def disable(line: str, how) -> list[str]:
    """The marked line without its guard (one or two lines)."""
    code = MARKER.split(line)[0].rstrip()
    indent = code[:len(code) - len(code.lstrip())]
    if how in ("if False", "if True"):
        if not re.match(r"\s*(el)?if .*:$", code):
            raise ValueError(f"not a one-line `if ...:` condition: {code.strip()!r}")
        return [f"{indent}{'elif' if code.lstrip().startswith('elif') else 'if'} {how.split()[1]}:"]
    if how == "pass":
        return [f"{indent}pass"]
    if how == "return":
        return [f"{indent}return", code]
    operator, expression = how
    target = re.match(r"\s*([^=]+?)\s*=(?!=)", code)
    if operator != "=" or target is None:
        raise ValueError(f"not an assignment: {code.strip()!r}")
    return [f"{indent}{target.group(1)} = {expression}"]


def problems(root: Path = SRC) -> list[str]:
    """What keeps a guard from being checked: a missing or doubled marker, an unknown test, a bad line."""
    found = markers(root)
    out = [f"marker {name!r} has no entry in GUARDS" for name in sorted(set(found) - set(GUARDS))]
    for name, (how, tests) in GUARDS.items():
        places = found.get(name, [])
        if len(places) != 1:
            out.append(f"guard {name!r}: {len(places)} markers in the code, expected one")
            continue
        path, index = places[0]
        lines = path.read_text(encoding="utf-8").splitlines()
        try:
            lines[index:index + 1] = disable(lines[index], how)
            ast.parse("\n".join(lines))
        except (ValueError, SyntaxError) as err:
            out.append(f"guard {name!r} in {path.relative_to(root)}: cannot be disabled ({err})")
        out += [f"guard {name!r}: no test named {test}" for test, ids in test_files(root, tests).items() if not ids]
    return out


def run(names: list[str]) -> int:
    failures = 0
    copy = Path(tempfile.mkdtemp(prefix="pii-tagger-mutations-")) / "repo"
    try:
        for name, (how, tests) in GUARDS.items():
            if names and name not in names:
                continue
            if copy.exists():
                shutil.rmtree(copy)
            shutil.copytree(SRC, copy, ignore=IGNORED)
            (path, index), = markers(copy)[name]
            lines = path.read_text(encoding="utf-8").splitlines()
            lines[index:index + 1] = disable(lines[index], how)
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            node_ids = [node for ids in test_files(copy, tests).values() for node in ids]
            result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *node_ids],
                                    cwd=copy, env=dict(os.environ, PYTHONPATH=str(copy)), capture_output=True,
                                    text=True)
            last = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-200:]
            # pytest exits 1 when tests fail; 2-5 (a collection error, no test found) prove nothing.
            failures += result.returncode != 1
            verdict = {0: "PASSES without the guard (bad)", 1: "fails without the guard (good)"}.get(
                result.returncode, f"pytest exit {result.returncode}: no verdict (bad)")
            print(f"{verdict} | {name} | {last}", flush=True)
    finally:
        shutil.rmtree(copy.parent, ignore_errors=True)
    return failures


if __name__ == "__main__":
    broken = problems()
    for problem in broken:
        print(f"cannot check: {problem}")
    sys.exit(1 if broken or run(sys.argv[1:]) else 0)
