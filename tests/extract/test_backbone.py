"""The frozen backbone's int8 mode (`quantize="int8"`): close to float32, independent of batching,
and refused where it cannot run."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from extract.backbone import BackboneConfig, Int8DynamicLinear, LayerCapture, check_quantize, load_backbone
from extract.errors import PiiTaggerError


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
