"""Layer specifications: absolute (`16`), negative (`-1`) or fractional (`0.5`) indices.

Index 0 is the embedding output and N (the layer count) the final, normed hidden state: the
input of `*ForTokenClassification.score`. Pure Python, so the cache reader can use it too.
"""

from __future__ import annotations

from extract.errors import PiiTaggerError

DEFAULT_LAYERS = "0.5,-1"  # the middle layer (best for linear probes) and the last one


def parse_layer_specs(text: str | int | float | list | tuple, option: str = "layers") -> list[str]:
    """'0.5, -1' -> ['0.5', '-1'], checking each item looks like a layer index."""
    items = text if isinstance(text, (list, tuple)) else str(text).split(",")
    specs = [str(item).strip() for item in items if str(item).strip()]
    if not specs:
        raise PiiTaggerError(f"`{option}`: no layer given (examples: -1, 16, 0.5 or 0.5,-1)")
    for spec in specs:
        try:
            float(spec)
        except ValueError:
            raise PiiTaggerError(f"`{option}`: {spec!r} is not a layer index (examples: -1, 16, 0.5)") from None
    return specs


def resolve_layer(spec: str | int | float, num_layers: int, option: str = "layers") -> int:
    """The absolute index in [0, num_layers] that `spec` names for a model of `num_layers` layers."""
    text = str(spec).strip()
    try:
        value = float(text)
    except ValueError:
        raise PiiTaggerError(f"`{option}`: {text!r} is not a layer index (examples: -1, 16, 0.5)") from None
    is_fraction = "." in text or "e" in text.lower()
    if is_fraction:
        if not 0.0 <= value <= 1.0:
            raise PiiTaggerError(f"`{option}`: fraction {text} must lie between 0 and 1 (0.5 = the middle layer)")
        return int(round(value * num_layers))
    index = int(value)
    if index < 0:
        index = num_layers + 1 + index
    if not 0 <= index <= num_layers:
        raise PiiTaggerError(
            f"`{option}`: layer {text} does not exist; this model has layers 0 (embeddings) to "
            f"{num_layers} (final normed state), or -1 to -{num_layers + 1}"
        )
    return index


def resolve_layers(specs, num_layers: int, option: str = "layers") -> list[int]:
    """Resolve several specs; duplicates (e.g. `-1` and `N`) collapse, order of first mention kept."""
    resolved: list[int] = []
    for spec in parse_layer_specs(specs, option):
        index = resolve_layer(spec, num_layers, option)
        if index not in resolved:
            resolved.append(index)
    return resolved
