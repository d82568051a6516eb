"""A llm-pii-tagger head exported with its frozen backbone, for `trust_remote_code=True`.

Reproduces what the head was trained on: the backbone's hidden states of chosen (possibly middle)
layers, the text read in windows, twice with the echo context, each token's neighbours appended,
standardized, then one linear layer. Self-contained: it needs transformers and torch only.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import AutoConfig, AutoModel, PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import TokenClassifierOutput


class PiiTaggerConfig(PretrainedConfig):
    model_type = "pii_tagger"

    def __init__(self, backbone: dict | None = None, layers: list[int] | None = None, final_layer: int = 0,
                 echo_head: list[int] | None = None, echo_middle: list[int] | None = None,
                 prefix_special: list[int] | None = None, suffix_special: list[int] | None = None,
                 window: int = 512, stride: int = 128, echo: bool = False, context_window: int = 0,
                 context_both_sides: bool = False, hidden_size: int = 0, feature_float16: bool = False,
                 outside_bias: float = 0.0, **kwargs):
        self.backbone = backbone or {}  # the truncated backbone's own config (model_type, sizes)
        self.layers = layers or []  # hidden states concatenated: 0 embeddings, i the output of block i
        self.final_layer = final_layer  # the original depth N: layer N is the final normed state
        self.echo_head, self.echo_middle = echo_head or [], echo_middle or []  # the echo template's tokens
        self.prefix_special, self.suffix_special = prefix_special or [], suffix_special or []
        self.window, self.stride, self.echo = window, stride, echo  # text tokens per window, overlap, read twice
        self.context_window, self.context_both_sides = context_window, context_both_sides
        self.hidden_size = hidden_size
        self.feature_float16 = feature_float16  # features rounded to float16, as the cache stored them
        self.outside_bias = outside_bias  # taken from O's logit (label 0), as chosen on val
        super().__init__(**kwargs)


def plan_windows(n_tokens: int, window: int, stride: int, centred: bool) -> list[tuple[int, int, int]]:
    """(start, end, keep_from) per window, as the cache was built: a copy of extract/tokens.py's, since an
    exported model runs without this project's code (the export tests check that both agree)."""
    if n_tokens == 0:
        return []
    spans = [(0, min(n_tokens, window), 0)]
    while spans[-1][1] < n_tokens:
        end_before = spans[-1][1]
        start = end_before - stride
        keep_from = start + stride // 2 if centred else end_before
        spans.append((start, min(n_tokens, start + window), keep_from))
    return spans


class PiiTaggerForTokenClassification(PreTrainedModel):
    config_class = PiiTaggerConfig
    base_model_prefix = "backbone"

    def __init__(self, config: PiiTaggerConfig):
        super().__init__(config)
        backbone_config = AutoConfig.for_model(**config.backbone)
        self.backbone = AutoModel.from_config(backbone_config)  # only the blocks the head reads
        width = config.hidden_size * len(config.layers)
        copies = 1 + config.context_window * (2 if config.context_both_sides else 1)
        self.register_buffer("mean", torch.zeros(width))
        self.register_buffer("scale", torch.ones(width))
        self.score = nn.Linear(width * copies, config.num_labels)
        self.post_init()

    def _hidden_states(self, inputs: torch.Tensor) -> dict[int, torch.Tensor]:
        """{layer: [1, S, H]}: 0 the embeddings, i < N the output of block i, N the final normed state."""
        captured, handles = {}, []
        for layer in self.config.layers:
            if layer == 0:
                module = self.backbone.get_input_embeddings()
            elif layer == self.config.final_layer:
                module = self.backbone.norm
            else:
                module = self.backbone.layers[layer - 1]
            handles.append(module.register_forward_hook(
                lambda _m, _i, output, layer=layer: captured.__setitem__(
                    layer, output[0] if isinstance(output, (tuple, list)) else output)))
        try:
            self.backbone(input_ids=inputs, use_cache=False)
        finally:
            for handle in handles:
                handle.remove()
        return captured

    def _text_features(self, ids: list[int]) -> torch.Tensor:
        """Standardized features [T, width] of one text's tokens (no special tokens)."""
        config = self.config
        windows = plan_windows(len(ids), config.window, config.stride, config.echo)
        features = torch.zeros(len(ids), len(self.mean), device=self.mean.device)
        for i, (start, end, keep_from) in enumerate(windows):
            keep_to = windows[i + 1][2] if i + 1 < len(windows) else end
            chunk = ids[start:end]
            head = config.prefix_special + config.echo_head + ((chunk + config.echo_middle) if config.echo else [])
            inputs = torch.tensor([head + chunk + config.suffix_special], device=self.mean.device)
            states = self._hidden_states(inputs)
            positions = torch.arange(keep_from, keep_to, device=inputs.device) - start + len(head)
            picked = torch.cat([states[layer][0, positions] for layer in config.layers], dim=-1)  # [K, width]
            if config.feature_float16:
                picked = picked.to(torch.float16)
            features[keep_from:keep_to] = picked.float()
        return (features - self.mean) / self.scale

    def _with_context(self, x: torch.Tensor) -> torch.Tensor:
        """Each token's features, then the next K tokens', then (both sides) the previous K: zeros past an edge."""
        config, blocks = self.config, [x]
        for step in range(1, config.context_window + 1):
            blocks.append(torch.cat([x[step:], x.new_zeros(min(step, len(x)), x.shape[1])])[:len(x)])
        if config.context_both_sides:
            for step in range(1, config.context_window + 1):
                blocks.append(torch.cat([x.new_zeros(min(step, len(x)), x.shape[1]), x[:-step]])[:len(x)])
        return torch.cat(blocks, dim=1)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None, labels=None, **kwargs):
        config = self.config
        mask = attention_mask if attention_mask is not None else torch.ones_like(input_ids)
        logits = torch.zeros(*input_ids.shape, config.num_labels, device=input_ids.device)
        logits[..., 0] = 1.0  # special and padding positions: O
        prefix, suffix = len(config.prefix_special), len(config.suffix_special)
        for row in range(input_ids.shape[0]):
            positions = torch.nonzero(mask[row]).flatten()
            real = input_ids[row, positions].tolist()
            text = real[prefix:len(real) - suffix] if suffix else real[prefix:]
            if not text:
                continue
            x = self._with_context(self._text_features(text))
            out = self.score(x)
            out[:, 0] -= config.outside_bias
            logits[row, positions[prefix:prefix + len(text)]] = out
        return TokenClassifierOutput(logits=logits)
