"""`.ci/mutations.py` stays runnable: every guard marker is in the code once, can be disabled, and
names tests that exist. (Running the mutations themselves takes minutes: `.ci/mutations.py`.)"""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_mutations():
    spec = importlib.util.spec_from_file_location("mutations", ROOT / ".ci" / "mutations.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_guard_has_one_marker_a_way_to_disable_it_and_existing_tests():
    mutations = load_mutations()
    assert len(mutations.GUARDS) >= 20
    assert mutations.problems() == []


def test_a_missing_marker_or_test_is_reported(tmp_path):
    mutations = load_mutations()
    for folder in ("extract", "tests"):
        (tmp_path / folder).mkdir()
    (tmp_path / "extract" / "a.py").write_text("def f(x):\n    if x:  # guard: finite-head\n        return 1\n"
                                               "    y = 2  # guard: unknown-guard\n")
    found = mutations.problems(tmp_path)
    assert "marker 'unknown-guard' has no entry in GUARDS" in found
    assert "guard 'finite-head': no test named test_a_head_with_nan_weights_fails_closed" in found
    assert "guard 'cache-lock': 0 markers in the code, expected one" in found


def test_disabling_keeps_indentation_and_refuses_lines_of_another_shape():
    mutations = load_mutations()
    assert mutations.disable("        if a and b:  # guard: x", "if False") == ["        if False:"]
    assert mutations.disable("    lock(handle)  # guard: x", "pass") == ["    pass"]
    assert mutations.disable("    target = f(a)  # guard: x", "return") == ["    return", "    target = f(a)"]
    assert mutations.disable("    start, end = g(s)  # guard: x", ("=", "s.start, s.end")) == ["    start, end = s.start, s.end"]
    for line, how in (("    f(a)  # guard: x", "if True"), ("    f(a == b)  # guard: x", ("=", "1"))):
        try:
            mutations.disable(line, how)
        except ValueError:
            continue
        raise AssertionError(f"{line!r} should not be disabled with {how!r}")
