"""`extract --quantize int8`: close to float32, independent of batching, recorded in the cache,
refused where it cannot run, and applied again by `predict` so that it sees the head's features."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

from extract.backbone import BackboneConfig, Int8DynamicLinear, LayerCapture, check_quantize, load_backbone
from extract.cache_reader import CacheReader
from extract.errors import PiiTaggerError
from extract.extractor import ExtractConfig, run_extract
from extract.tokens import tokenize_texts


def cosine(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return nn.functional.cosine_similarity(a.flatten(0, -2), b.flatten(0, -2), dim=-1)


def test_int8_linear_is_close_to_float_and_each_token_ignores_its_batch():
    torch.manual_seed(0)
    linear = nn.Linear(96, 40)
    quantized = Int8DynamicLinear(linear)
    x = torch.randn(3, 7, 96) * torch.linspace(0.1, 10, 96)  # uneven channels, as hidden states are
    with torch.no_grad():
        exact, approx = linear(x), quantized(x)
    assert approx.shape == exact.shape and approx.dtype == exact.dtype
    assert cosine(exact, approx).min() > 0.999
    # Scales are per token and the matmul is integer: a token alone gives bit-identical output.
    alone = quantized(x[1, 4:5])
    assert torch.equal(alone[0], approx[1, 4])
    assert quantized(x[:0]).shape == (0, 7, 40)


def test_quantized_backbone_keeps_the_hidden_states(tiny_model_dir):
    plain, _, _ = load_backbone(BackboneConfig(model=str(tiny_model_dir), dtype="float32", device="cpu"))
    int8, _, _ = load_backbone(BackboneConfig(model=str(tiny_model_dir), dtype="float32", device="cpu", quantize="int8"))
    assert not any(type(m) is nn.Linear for block in int8.layers for m in block.modules())
    assert sum(isinstance(m, Int8DynamicLinear) for m in int8.modules()) == 7 * len(int8.layers)  # q k v o gate up down
    ids = torch.randint(3, 32000, (2, 24))
    mask = torch.ones_like(ids)
    reference, states = LayerCapture(plain, [1, 2])(ids, mask), LayerCapture(int8, [1, 2])(ids, mask)
    for layer in (1, 2):
        assert cosine(reference[layer], states[layer]).min() > 0.99


def test_quantize_is_refused_where_it_cannot_run():
    with pytest.raises(PiiTaggerError, match="unknown value 'int4'"):
        check_quantize("int4", torch.device("cpu"))
    with pytest.raises(PiiTaggerError, match="CPU only"):
        check_quantize("int8", torch.device("cuda"))
    with pytest.raises(PiiTaggerError, match="CPU only"):
        check_quantize("int8", torch.device("cpu"), device_map="auto")
    check_quantize(None, torch.device("cuda"))  # nothing asked, nothing refused


@pytest.fixture(scope="module")
def int8_cache(prepared_dir, tiny_model_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("int8") / "cache"
    run_extract(ExtractConfig(data=prepared_dir, out=out, model=str(tiny_model_dir), dtype="float32", max_length=64,
                              stride=16, batch_tokens=1024, shard_tokens=1500, layers="-1", quantize="int8",
                              progress=False))
    return out


def test_int8_is_part_of_the_cache_fingerprint(int8_cache, prepared_dir, tiny_model_dir, tiny_cache):
    manifest = json.loads((int8_cache / "manifest.json").read_text())
    assert manifest["fingerprint"]["backbone"]["quantize"] == "int8"
    # Unquantized caches carry no key at all, so caches written before the option stay valid.
    assert "quantize" not in json.loads((tiny_cache / "manifest.json").read_text())["fingerprint"]["backbone"]
    with pytest.raises(PiiTaggerError, match="quantize"):  # resuming without it would mix two kinds of features
        run_extract(ExtractConfig(data=prepared_dir, out=int8_cache, model=str(tiny_model_dir), dtype="float32",
                                  max_length=64, stride=16, batch_tokens=1024, shard_tokens=1500, layers="-1",
                                  progress=False))


def test_predict_computes_int8_features_for_an_int8_head(int8_cache, tiny_cache, tmp_path):
    from head.trainer import Hyperparameters
    from head.tagger import Tagger
    from head.fit import FitConfig, fit_head

    head = tmp_path / "head"
    fit_head(FitConfig(cache=int8_cache, out=head, lrs=(1e-2,), hp=Hyperparameters(epochs=2, batch_tokens=512),
                       progress=False))
    tagger = Tagger.from_pretrained(head, device="cpu")
    assert any(isinstance(m, Int8DynamicLinear) for m in tagger.model.modules())
    cached = CacheReader(int8_cache).read_split("val", [2])
    tokenized, _ = tokenize_texts(tagger.tokenizer, [r.text for r in cached.records])
    features, _ = tagger.features(tokenized)  # [T, H], other batches than extract's
    float_features = CacheReader(tiny_cache).read_split("val", [2]).features
    to_int8_cache = np.abs(features - cached.features).max()
    # Far closer to the int8 cache than float32 features are: predict did quantize.
    assert to_int8_cache < 0.2 * np.abs(float_features - cached.features).max()
