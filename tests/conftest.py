"""Session fixtures: the real Mistral tokenizer, a tiny random Mistral, and a small pipeline run.

Everything is built offline in a temporary folder once per test session, in seconds.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests never reach a model hub
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def mistral_tokenizer_dir(tmp_path_factory) -> Path:
    from extract.offline_models import mistral_tokenizer

    return mistral_tokenizer(tmp_path_factory.mktemp("mistral-tokenizer"))


@pytest.fixture(scope="session")
def mistral_tokenizer(mistral_tokenizer_dir):
    from extract.tokens import load_tokenizer

    return load_tokenizer(str(mistral_tokenizer_dir))


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    from extract.offline_models import tiny_mistral

    return tiny_mistral(tmp_path_factory.mktemp("tiny-mistral"))


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory) -> Path:
    """A small synthetic EN/FR corpus written by the generator."""
    from extract.synth import SynthConfig, generate, write_corpus

    folder = tmp_path_factory.mktemp("synth")
    write_corpus(generate(SynthConfig(n_english=40, n_french=40, seed=7)), folder)
    return folder


@pytest.fixture(scope="session")
def prepared_dir(synth_dir, tmp_path_factory) -> Path:
    from extract.prepare import PrepareConfig, prepare

    out = tmp_path_factory.mktemp("prepared") / "token_classification"
    prepare(PrepareConfig(data_dir=synth_dir, out=out, val_fraction=0.25, seed=3))
    return out


@pytest.fixture(scope="session")
def tiny_cache(prepared_dir, tiny_model_dir, tmp_path_factory) -> Path:
    """The synthetic corpus through the tiny Mistral: layers 1 (middle) and 2 (last), small shards."""
    from extract.extractor import ExtractConfig, run_extract

    out = tmp_path_factory.mktemp("cache") / "cache"
    run_extract(ExtractConfig(data=prepared_dir, out=out, model=str(tiny_model_dir), dtype="float32", max_length=64, stride=16,
                              batch_tokens=1024, shard_tokens=1500, progress=False))
    return out


@pytest.fixture(scope="session")
def tiny_head(tiny_cache, tmp_path_factory) -> Path:
    from head.trainer import Hyperparameters
    from head.fit import FitConfig, fit_head

    out = tmp_path_factory.mktemp("head") / "head"
    fit_head(FitConfig(cache=tiny_cache, out=out, lrs=(3e-3, 1e-2), hp=Hyperparameters(epochs=4, batch_tokens=512),
                       progress=False))
    return out
