"""The package surface (extract/synth/__init__.py): the public names import as before, and importing
them reads no template or value list and loads no Faker until a corpus or the templates are asked for."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[3]

# Runs in a fresh interpreter: records every file opened under a templates folder, and whether
# Faker is loaded, after each step.
PROBE = """
import json, os, sys
opened = []

def audit(event, args):
    if event == "open" and isinstance(args[0], (str, os.PathLike)) and "templates" in str(args[0]):
        opened.append(str(args[0]))

sys.addaudithook(audit)
steps = {}

def step(name):
    steps[name] = {"faker": "faker" in sys.modules, "opened": len(opened)}

%s
print(json.dumps(steps))
"""


def probe(body: str) -> dict:
    result = subprocess.run([sys.executable, "-c", PROBE % body], capture_output=True, text=True, check=True,
                            cwd=REPOSITORY)
    return json.loads(result.stdout)


def test_importing_the_package_reads_no_template_and_loads_no_faker():
    steps = probe("""
from extract.synth import CORPUS_FILES, SynthConfig, generate, generate_with_templates, load_templates, write_corpus
step("import")
from extract.synth import TEMPLATE_COUNTS
step("template counts")
generate(SynthConfig(n_english=1, n_french=0))
step("generate")
""")
    assert steps["import"] == {"faker": False, "opened": 0}
    # The probe does see reads and Faker: the first use of the templates, then of a corpus.
    assert steps["template counts"]["opened"] >= 40
    assert steps["generate"]["faker"] is True


@pytest.mark.parametrize("module", ["extract.label_maps", "extract.schema"])
def test_label_modules_load_no_faker(module):
    steps = probe(f"import {module}\nstep('import')")
    assert steps["import"] == {"faker": False, "opened": 0}


def test_public_names():
    import extract.synth as synth
    from extract.synth import (CORPUS_FILES, LABELS, TEMPLATE_COUNTS, SynthConfig, generate,  # noqa: F401
                               generate_with_templates, load_templates, write_corpus)

    assert set(synth.__all__) == {"CORPUS_FILES", "LABELS", "TEMPLATE_COUNTS", "SynthConfig", "SynthResult", "generate",
                                  "generate_with_templates", "load_templates", "write_corpus", "write_synthetic"}
    assert CORPUS_FILES == {"en": "english_synthetic.jsonl", "fr": "french_synthetic.jsonl"}
    assert TEMPLATE_COUNTS is synth.TEMPLATE_COUNTS
    assert TEMPLATE_COUNTS == {language: len(templates) for language, templates in load_templates().items()}
    with pytest.raises(AttributeError, match="NO_SUCH_NAME"):
        synth.NO_SUCH_NAME  # noqa: B018


def test_load_templates_hands_out_copies():
    from extract.synth import load_templates

    first = load_templates()
    first["en"].clear()
    assert load_templates()["en"]
