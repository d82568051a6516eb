"""The frozen backbone: loading it (dtype, device, GGUF, device map, int8 on CPU) and capturing layers.

`LayerCapture` keeps only the requested hidden states (forward hooks, never the full
`output_hidden_states` tuple) and stops the forward pass after the deepest one.
"""

from __future__ import annotations

import contextlib
import functools
import time
from pathlib import Path

import torch
from torch import nn

from extract.configs import DEVICES, DTYPES, QUANTIZE, BackboneConfig
from extract.errors import MissingInputError, PiiTaggerError
from extract.tokens import hub_kwargs
from extract.weights import check_model_location


def resolve_device(device: str) -> torch.device:
    if device not in DEVICES and not device.startswith("cuda:"):
        raise PiiTaggerError(f"`device`: unknown value {device!r} (expected one of: {', '.join(DEVICES)})")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise PiiTaggerError(f"`device` {device}: no CUDA GPU is visible to torch on this machine")
    return torch.device(device)


def resolve_dtype(dtype: str, device: torch.device) -> torch.dtype:
    if dtype not in DTYPES:
        raise PiiTaggerError(f"`dtype`: unknown value {dtype!r} (expected one of: {', '.join(DTYPES)})")
    if dtype != "auto":
        return getattr(torch, dtype)
    if device.type == "cuda":
        # T4 and P100 have no bfloat16; fp16 halves memory as well there.
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    # CPUs with AMX tiles (Xeon Sapphire Rapids and newer) run bf16 matmuls natively, several
    # times faster than fp32 (docs/benchmarks.md). Elsewhere bf16 is emulated and slow.
    return torch.bfloat16 if cpu_has_native_bf16() else torch.float32


def cpu_has_native_bf16() -> bool:
    probe = getattr(torch.cpu, "_is_amx_tile_supported", None)
    try:
        return bool(probe()) if probe is not None else False
    except RuntimeError:
        return False


# int8 pays only where the CPU has integer dot-product kernels (VNNI): elsewhere torch's integer
# matmul falls back to a path many times slower than float32 (docs/benchmarks.md).
INT8_MIN_SPEEDUP = 1.5


@functools.cache
def cpu_int8_speedup(rows: int = 256, inner: int = 576, outer: int = 1536) -> float:
    """Float32 matmul time over int8 matmul time on this CPU, best of three, at a small model's shapes.

    Measured once per process (under a second: about 0.9 s on a 2-core CPU where int8 is 10x slower):
    instruction sets alone do not say whether torch's integer kernels are the fast ones. 0 where
    this torch has no CPU integer matmul.
    """
    if not hasattr(torch, "_int_mm"):
        return 0.0
    generator = torch.Generator().manual_seed(0)
    activations = torch.randn(rows, inner, generator=generator)  # [M, K]
    weights = torch.randn(outer, inner, generator=generator)  # [N, K]
    activations_int8 = activations.mul(20).round_().clamp_(-127, 127).to(torch.int8)  # [M, K]
    weights_int8 = weights.mul(20).round_().clamp_(-127, 127).to(torch.int8)  # [N, K]
    float32 = _best_seconds(lambda: activations @ weights.t())
    try:
        int8 = _best_seconds(lambda: torch._int_mm(activations_int8, weights_int8.t()))
    except (RuntimeError, NotImplementedError):  # a build whose integer matmul runs on GPUs only
        return 0.0
    return float32 / int8


def _best_seconds(compute, repeats: int = 3) -> float:
    compute()  # the first call pays for kernel selection and allocation
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        compute()
        best = min(best, time.perf_counter() - start)
    return max(best, 1e-9)


def check_quantize(quantize: str | None, device: torch.device, device_map: str | None = None) -> None:
    """Refuse an unknown quantization, or int8 where its kernels do not run (GPUs)."""
    if quantize is None:
        return
    if quantize not in QUANTIZE:
        raise PiiTaggerError(f"`quantize`: unknown value {quantize!r} (expected one of: {', '.join(QUANTIZE)}, "
                             "or leave it out for the loaded dtype)")
    if device.type != "cpu" or device_map:
        raise PiiTaggerError(f"`quantize` {quantize} runs on CPU only (asked for {device_map or device}): set "
                             "`device` to cpu, or leave `quantize` unset on a GPU, where bf16 / fp16 is fast already. "
                             "A head trained on int8 features is applied with int8 by `predict`, on CPU")


class Int8DynamicLinear(nn.Module):
    """A frozen `nn.Linear` computing in int8: weights per output channel, activations per token.

    Scales are symmetric and the matmul is integer (exact), so a token's output never depends on
    the other tokens of its batch: `extract` and `predict` compute the same features whatever
    the batching. On CPUs with VNNI the integer matmul outruns the fp32 one, quantize and
    dequantize steps included (docs/benchmarks.md).
    """

    def __init__(self, linear: nn.Linear):
        super().__init__()
        self.in_features, self.out_features = linear.in_features, linear.out_features
        weight = linear.weight.detach().float()  # [N, K]
        scale = weight.abs().amax(dim=1).clamp(min=torch.finfo(torch.float32).tiny) / 127  # [N]
        self.register_buffer("weight_int8", torch.round(weight / scale[:, None]).to(torch.int8))  # [N, K]
        self.register_buffer("weight_scale", scale)  # [N]
        bias = linear.bias.detach().float() if linear.bias is not None else None  # [N]
        self.register_buffer("bias", bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(-1, self.in_features)  # [M, K]
        if flat.shape[0] == 0:
            return x.new_zeros(*x.shape[:-1], self.out_features)
        scale = flat.abs().amax(dim=1, keepdim=True).float().clamp_(min=torch.finfo(torch.float32).tiny) / 127  # [M, 1]
        quantized = (flat / scale).round_().to(torch.int8)  # [M, K], in [-127, 127]
        out = torch.mul(torch._int_mm(quantized, self.weight_int8.t()), scale).mul_(self.weight_scale)  # [M, N] fp32
        if self.bias is not None:
            out.add_(self.bias)
        return out.to(x.dtype).reshape(*x.shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


def quantize_int8(model: nn.Module) -> int:
    """Replace every `nn.Linear` inside the decoder blocks by an `Int8DynamicLinear`; the count replaced.

    Embeddings and norms stay in the loaded dtype: they are a small share of the compute.
    """
    if not hasattr(torch, "_int_mm"):
        raise PiiTaggerError(f"`quantize` int8 needs torch._int_mm (torch >= 2.2); this is torch {torch.__version__}")
    replaced = 0
    for block in decoder_layers(model):
        for name, child in list(block.named_modules()):
            if type(child) is nn.Linear:
                parent_name, _, attribute = name.rpartition(".")
                setattr(block.get_submodule(parent_name) if parent_name else block, attribute,
                        Int8DynamicLinear(child))
                replaced += 1
    if not replaced:
        raise PiiTaggerError(f"`quantize` int8: {type(model).__name__} has no nn.Linear layers in its blocks")
    return replaced


@contextlib.contextmanager
def quiet_transformers():
    """transformers' own warnings and progress bars off while a backbone loads (ours say what matters)."""
    from transformers.utils import logging as hf_logging

    import transformers.modeling_gguf_pytorch_utils as gguf_utils

    verbosity, bars, gguf_bar = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled(), gguf_utils.tqdm
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    gguf_utils.tqdm = functools.partial(gguf_bar, disable=True)  # a plain tqdm, outside the switch above
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        gguf_utils.tqdm = gguf_bar
        if bars:
            hf_logging.enable_progress_bar()


def load_model_config(config: BackboneConfig):
    """The backbone's transformers config (no weights loaded), with a clear error when missing."""
    from transformers import AutoConfig

    check_model_location(config.model)
    try:
        return AutoConfig.from_pretrained(config.model, **hub_kwargs(config.gguf_file, config.revision,
                                                                    config.trust_remote_code))
    except OSError as err:
        raise MissingInputError(f"cannot load the backbone config of {config.model!r}: {err}") from None


def load_backbone(config: BackboneConfig, device: torch.device | None = None):
    """(model, compute dtype, input device): the base model in eval mode, frozen."""
    from transformers import AutoModel

    check_model_location(config.model)
    device = device if device is not None else resolve_device(config.device)
    check_quantize(config.quantize, device, config.device_map)  # before the (slow) load
    dtype = resolve_dtype(config.dtype, device)
    kwargs = {"dtype": dtype, **hub_kwargs(config.gguf_file, config.revision, config.trust_remote_code)}
    if config.device_map:
        kwargs["device_map"] = config.device_map
    try:
        with quiet_transformers():  # its loading and GGUF conversion bars: extract shows its own progress
            model = AutoModel.from_pretrained(config.model, **kwargs)
    except OSError as err:
        hint = "" if Path(config.model).exists() else (
            " (a hub name needs internet access on first use; on an offline machine pass a local folder)"
        )
        raise MissingInputError(f"cannot load the backbone {config.model!r}{hint}: {err}") from None
    if not config.device_map:
        model.to(device)
    model.eval()
    model.requires_grad_(False)
    if config.quantize == "int8":
        quantize_int8(model)
    input_device = model.get_input_embeddings().weight.device
    return model, dtype, input_device


def decoder_layers(model) -> nn.ModuleList:
    """The stack of transformer blocks of a Hugging Face base model."""
    n = model.config.get_text_config().num_hidden_layers
    for candidate in ("layers", "h", "decoder.layers", "model.layers", "transformer.h"):
        module = model
        for part in candidate.split("."):
            module = getattr(module, part, None)
        if isinstance(module, nn.ModuleList) and len(module) == n:
            return module
    for module in model.modules():
        if isinstance(module, nn.ModuleList) and len(module) == n:
            return module
    raise PiiTaggerError(f"cannot find the {n} transformer blocks of {type(model).__name__}")


def final_norm(model) -> nn.Module | None:
    for candidate in ("norm", "final_layernorm", "ln_f", "model.norm"):
        module = model
        for part in candidate.split("."):
            module = getattr(module, part, None)
        if isinstance(module, nn.Module):
            return module
    return None


class _StopForward(Exception):
    """Raised by the hook of the deepest requested layer: the rest would be wasted compute."""


class LayerCapture:
    """Run a base model and return the hidden states of `layers` only.

    Layer 0 is the embedding output, 1..N-1 the outputs of blocks 1..N-1, and N the final
    normed state (what `*ForTokenClassification.score` reads).
    """

    def __init__(self, model, layers: list[int]):
        self.model = model
        self.layers = sorted(set(layers))
        self.num_layers = model.config.get_text_config().num_hidden_layers
        blocks = decoder_layers(model)
        norm = final_norm(model)
        self._modules: dict[int, nn.Module] = {}
        for layer in self.layers:
            if layer == 0:
                self._modules[layer] = model.get_input_embeddings()
            elif layer < self.num_layers:
                self._modules[layer] = blocks[layer - 1]
            elif norm is not None:
                self._modules[layer] = norm
            else:
                raise PiiTaggerError(f"cannot find the final norm of {type(model).__name__} to capture layer {layer}")
        self._deepest = self.layers[-1]
        self._captured: dict[int, torch.Tensor] = {}

    def _hook(self, layer: int):
        def hook(_module, _inputs, output):
            hidden = output[0] if isinstance(output, (tuple, list)) else output
            self._captured[layer] = hidden
            if layer == self._deepest:
                raise _StopForward

        return hook

    @torch.inference_mode()
    def __call__(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> dict[int, torch.Tensor]:
        """{layer: [B, S, H]} for a right-padded batch."""
        handles = [module.register_forward_hook(self._hook(layer)) for layer, module in self._modules.items()]
        self._captured = {}
        try:
            self.model(input_ids=input_ids, attention_mask=attention_mask, use_cache=False)
        except _StopForward:
            pass
        finally:
            for handle in handles:
                handle.remove()
        captured, self._captured = self._captured, {}
        missing = [layer for layer in self.layers if layer not in captured]
        if missing:
            raise RuntimeError(f"layers {missing} were not reached by the forward pass")
        return captured
