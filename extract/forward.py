"""Running the frozen backbone over tokenized segments: length-bucketed batches by token budget,
the kept rows of each requested layer, range checks. `extract` and `predict` share it, so a text
gets the same features in both.
"""

from __future__ import annotations

from typing import Callable, Iterator, Sequence

import numpy as np
import torch

from extract.backbone import LayerCapture
from extract.errors import NonFiniteError, PiiTaggerError
from extract.tokens import Segment

FP16_MAX = float(np.finfo(np.float16).max)


def batches_by_budget(segments: list[Segment], batch_tokens: int, min_efficiency: float = 0.9
                      ) -> list[list[Segment]]:
    """Length-sorted batches within `batch_tokens` padded positions and mostly real tokens.

    Segments are sorted by length, so a batch's padding is its longest minus each other one;
    a batch closes when it would exceed the budget or fall below `min_efficiency` real
    positions. A segment longer than the budget gets a batch of its own.
    """
    order = sorted(range(len(segments)), key=lambda i: (len(segments[i].input_ids), i))
    batches: list[list[Segment]] = []
    current: list[Segment] = []
    real = 0
    for i in order:
        segment = segments[i]
        width = len(segment.input_ids)  # the longest so far: lengths only grow
        padded = width * (len(current) + 1)
        if current and (padded > batch_tokens or (real + width) < min_efficiency * padded):
            batches.append(current)
            current, real = [], 0
        current.append(segment)
        real += width
    if current:
        batches.append(current)
    return batches


def collate(batch: list[Segment], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded input ids and attention mask `[B, S]`."""
    width = max(len(s.input_ids) for s in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, segment in enumerate(batch):
        ids[row, :len(segment.input_ids)] = torch.from_numpy(segment.input_ids)
        mask[row, :len(segment.input_ids)] = 1
    return ids, mask


def gather_rows(batch: list[Segment]) -> tuple[torch.Tensor, torch.Tensor]:
    """(batch row, position) of every kept position of the batch, in batch order."""
    rows = torch.cat([torch.full((len(s.positions),), i, dtype=torch.long) for i, s in enumerate(batch)])
    positions = torch.cat([torch.from_numpy(s.positions) for s in batch])
    return rows, positions


def check_range(layer: int, hidden: torch.Tensor, feature_dtype: str, where: str,
                row_texts: Callable[[], Sequence[str]] | None = None) -> None:
    """Refuse non-finite states, and values fp16 cannot hold, instead of storing inf.

    hidden: [R, H] kept rows; `row_texts()` names the text of each row for the error message.
    """
    peak = float(hidden.abs().amax()) if hidden.numel() else 0.0
    if np.isfinite(peak) and (feature_dtype != "float16" or peak <= FP16_MAX):  # guard: finite-hidden-states
        return
    bad = ~torch.isfinite(hidden).all(dim=1) if not np.isfinite(peak) else hidden.abs().amax(dim=1) > FP16_MAX  # [R]
    first = int(torch.nonzero(bad)[0, 0])
    text = f", text {row_texts()[first]!r}" if row_texts is not None else ""
    where = f"layer {layer}, {where}{text}"
    if not np.isfinite(peak):
        raise NonFiniteError(f"the backbone produced non-finite hidden states at {where}; nothing was written for "
                             "it. Try `dtype` float32 or bfloat16 (float16 compute can overflow)")
    raise PiiTaggerError(f"hidden states reach {peak:.4g} at {where}, beyond float16's {FP16_MAX:.0f}: "
                         "storing them as float16 would give inf; re-run with `feature_dtype` float32")


def forward_batches(capture: LayerCapture, segments: list[Segment], batch_tokens: int, pad_id: int,
                    device: torch.device, feature_dtype: str, where: str, text_names: Sequence[str] | None = None
                    ) -> Iterator[tuple[list[Segment], dict[int, np.ndarray]]]:
    """Run length-bucketed batches; yield each batch with its kept rows per layer [R, H].

    Rows come in batch order (segment by segment, kept positions in order), already in the
    feature dtype. `extract` and `predict` both use this, so they compute the same features.
    `text_names[segment.text_index]` names a text in errors.
    """
    target = torch.float16 if feature_dtype == "float16" else torch.float32
    for batch in batches_by_budget(segments, batch_tokens):
        ids, mask = collate(batch, pad_id)
        states = capture(ids.to(device), mask.to(device))  # {layer: [B, S, H]}
        rows, positions = gather_rows(batch)
        kept = {}
        for layer, hidden in states.items():
            selected = hidden[rows.to(hidden.device), positions.to(hidden.device)]  # [R, H]
            check_range(layer, selected, feature_dtype, where,
                        None if text_names is None else lambda: [text_names[s.text_index] for s in batch
                                                                 for _ in range(len(s.positions))])
            kept[layer] = selected.to(target).cpu().numpy()
        yield batch, kept
