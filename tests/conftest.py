"""Session fixtures: the real Mistral tokenizer, a tiny random Mistral, and small pipeline runs
(caches, heads) that tests in several folders share.

Everything is built offline in a temporary folder once per test session, in seconds, and only
when a test asks for it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests never reach a model hub
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session", autouse=True)
def user_cache_dir(tmp_path_factory) -> Path:
    """Weight digests the tests compute are remembered in a temporary folder, not the user's cache."""
    folder = tmp_path_factory.mktemp("user-cache")
    os.environ["PII_TAGGER_CACHE_DIR"] = str(folder)
    return folder


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
    from head.configs import Hyperparameters
    from head.fit import FitConfig, fit_head

    out = tmp_path_factory.mktemp("head") / "head"
    # A random backbone reaches no real precision floor: at 0.95 its recall point finds almost nothing.
    fit_head(FitConfig(cache=tiny_cache, out=out, lrs=(3e-3, 1e-2), hp=Hyperparameters(epochs=4, batch_tokens=512),
                       precision_floor=0.5, progress=False))
    return out


@pytest.fixture(scope="session")
def last_layer_head(tiny_cache, tmp_path_factory) -> Path:
    """A head on the last layer alone: the kind `export-hf` can export."""
    from head.fit import FitConfig, fit_head
    from head.configs import Hyperparameters

    out = tmp_path_factory.mktemp("last") / "head"
    fit_head(FitConfig(cache=tiny_cache, out=out, layers="-1", lrs=(1e-2,), hp=Hyperparameters(epochs=3),
                       progress=False))
    return out


@pytest.fixture(scope="session")
def separable_cache(tmp_path_factory, tiny_model_dir) -> Path:
    """Names and e-mails from small closed sets through the tiny Mistral: a problem a head solves."""
    from extract.extractor import ExtractConfig, run_extract
    from extract.prepare import PrepareConfig, prepare
    from tests.helpers import separable_records, write_jsonl

    root = tmp_path_factory.mktemp("separable")
    write_jsonl(root / "data" / "corpus.jsonl", separable_records(160, seed=1))
    prepare(PrepareConfig(data_dir=root / "data", out=root / "prepared", val_fraction=0.25))
    run_extract(ExtractConfig(data=root / "prepared", out=root / "cache", model=str(tiny_model_dir), dtype="float32", max_length=64,
                              stride=16, shard_tokens=600, progress=False))
    return root / "cache"


@pytest.fixture(scope="session")
def echo_cache(prepared_dir, tiny_model_dir, tmp_path_factory) -> Path:
    """The synthetic corpus read twice (`context="echo"`), in windows long enough for every text."""
    from extract.extractor import ExtractConfig, run_extract

    out = tmp_path_factory.mktemp("echo") / "cache"
    run_extract(ExtractConfig(data=prepared_dir, out=out, model=str(tiny_model_dir), dtype="float32", max_length=160,
                              stride=16, context="echo", progress=False))
    return out


@pytest.fixture(scope="session")
def echo_head(echo_cache, tmp_path_factory) -> Path:
    from head.fit import FitConfig, fit_head
    from head.configs import Hyperparameters

    out = tmp_path_factory.mktemp("echo-head") / "head"
    fit_head(FitConfig(cache=echo_cache, out=out, lrs=(1e-2,), hp=Hyperparameters(epochs=3), progress=False))
    return out


@pytest.fixture(scope="session")
def int8_cache(prepared_dir, tiny_model_dir, tmp_path_factory) -> Path:
    """The last layer of the tiny Mistral with its Linear layers in int8 (`quantize="int8"`)."""
    from extract.extractor import ExtractConfig, run_extract

    out = tmp_path_factory.mktemp("int8") / "cache"
    run_extract(ExtractConfig(data=prepared_dir, out=out, model=str(tiny_model_dir), dtype="float32", max_length=64,
                              stride=16, batch_tokens=1024, shard_tokens=1500, layers="-1", quantize="int8",
                              progress=False))
    return out
