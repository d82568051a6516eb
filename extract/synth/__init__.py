"""Synthetic English/French PII corpus: Faker values poured into the data files of extract/synth/templates.

Spans are recorded as each text is assembled, so offsets are exact; importing reads no file and loads no Faker.
"""

from __future__ import annotations

from extract.schema import LABELS
from extract.synth.corpus import (CORPUS_FILES, SynthConfig, SynthResult, generate, generate_with_templates,
                                  write_corpus, write_synthetic)
from extract.synth.template_files import load_templates, template_counts

__all__ = ["CORPUS_FILES", "LABELS", "TEMPLATE_COUNTS", "SynthConfig", "SynthResult", "generate",
           "generate_with_templates", "load_templates", "write_corpus", "write_synthetic"]


def __getattr__(name: str):
    # TEMPLATE_COUNTS ({language: distinct templates}) needs the template files: read on first use.
    if name == "TEMPLATE_COUNTS":
        return template_counts()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
