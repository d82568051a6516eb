"""Corpora shared by the synthetic-data tests, generated once per session, and helpers to read them."""

from __future__ import annotations

import pytest

from extract.synth import SynthConfig, generate


@pytest.fixture(scope="session")
def corpus():
    """The default corpus (500 + 500)."""
    return generate(SynthConfig())


@pytest.fixture(scope="session")
def big_corpus():
    """A larger corpus for the rarer formats (each a few per cent of its label)."""
    return generate(SynthConfig(n_english=1200, n_french=1200, seed=7))


def by_language(records, language):
    return [r for r in records if r.language == language]


def span_texts(records, label):
    return [r.text[s.start:s.end] for r in records for s in r.spans if s.label == label]
