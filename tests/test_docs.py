"""The documentation stays true: docs/cli.md is the commands' own --help, and README and docs point
only at files that exist in the repository."""

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_cli_reference_is_generated_from_the_help_texts():
    reference = load(ROOT / "docs" / "cli_reference.py").reference()
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == reference, \
        "docs/cli.md is out of date: run `python docs/cli_reference.py`"
    for command in ("synth", "prepare", "extract", "fit-head", "evaluate", "predict", "score", "export-hf", "demo"):
        assert f"\n## {command}\n" in reference and f"Usage: cli.py {command} [OPTIONS]" in reference


def test_links_and_paths_in_the_docs_exist():
    missing = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):  # markdown links to local files
            if "://" not in target and not (doc.parent / target).exists():
                missing.append(f"{doc.relative_to(ROOT)} -> {target}")
        for path in re.findall(r"`((?:extract|head|evaluation|tools|tests|benchmarks|docs|\.ci)/[\w./-]+)`", text):
            if not (ROOT / path.rstrip("/")).exists():
                missing.append(f"{doc.relative_to(ROOT)} -> {path}")
    assert missing == []


def test_the_readme_is_a_front_door():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 250
    for section in ("make demo", "make test", "cli.py predict", "cli.py score", "cli.py extract", "Mistral-7B"):
        assert section in readme
    assert "../shared" not in readme and not any("../shared" in d.read_text(encoding="utf-8") for d in DOCS)
