"""Tag and redact new text with a trained head: `Tagger.from_pretrained(head_dir).tag(texts)`.

The backbone named in the head's checkpoint runs once more, through the same tokenization,
windows, layer capture and feature dtype as `extract`, so a cached text gets the same labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import dataclasses
import warnings

import numpy as np
import torch

from extract.errors import MissingInputError, PiiTaggerError, PiiTaggerNotice
from extract.backbone import (INT8_MIN_SPEEDUP, BackboneConfig, LayerCapture, cpu_has_native_bf16, cpu_int8_speedup,
                              load_backbone, load_model_config, quantize_int8, quiet_transformers, resolve_device,
                              resolve_dtype)
from extract.converted import converted_folder, finished, save_converted
from extract.cache_format import pointer_from_lengths
from extract.forward import forward_batches
from extract.records import Span, check_text
from extract.tokens import InputFormat, SegmentBuilder, TokenizedText, load_tokenizer, tokenize_texts
from head.checkpoint import LoadedHead, load_head
from head.decoding import BlockTagging
from head.operators import Redactor, replace_spans

GROUP_TOKENS = 32768  # texts are featurized in groups of about this many tokens: bounded memory


@dataclass(frozen=True)
class PredictedSpan:
    start: int
    end: int
    label: str
    score: float  # mean probability of the predicted labels over the span's tokens
    text: str

    def to_json(self) -> dict:
        return {"start": self.start, "end": self.end, "label": self.label, "score": round(self.score, 4),
                "text": self.text}


@dataclass
class TaggedText:
    text: str
    spans: list[PredictedSpan] = field(default_factory=list)  # in text order; empty when no PII

    @property
    def masked_text(self) -> str:
        return mask_text(self.text, self.spans)

    def to_json(self, record_id: str | None = None, redactor: Redactor | None = None,
                language: str | None = None) -> dict:
        """`predict`'s row; `masked_text` is the text after `redactor`'s operators (default: placeholders)."""
        out = {"id": record_id} if record_id is not None else {}
        masked = self.masked_text if redactor is None else redactor.redact(self.text, self.spans, language)[0]
        return {**out, "text": self.text, "spans": [s.to_json() for s in self.spans], "masked_text": masked}


def mask_text(text: str, spans: Sequence[PredictedSpan | Span]) -> str:
    """AI4Privacy-style placeholders: `[FIRSTNAME_1]`; the same value gets the same placeholder."""
    return replace_spans(text, spans)[0]


def matching_dtype(loaded: LoadedHead, device: str, dtype: str) -> str:
    """For `auto`, the compute dtype of the head's cache when this device runs it natively.

    Features then match the cached ones, so predictions on a cached text match `evaluate`.
    """
    if dtype != "auto":
        return dtype
    recorded = loaded.meta["backbone"].get("compute_dtype")
    on_gpu = resolve_device(device).type == "cuda"
    natively = {"float32": True, "float16": on_gpu,
                "bfloat16": (on_gpu and torch.cuda.is_bf16_supported()) or (not on_gpu and cpu_has_native_bf16())}
    return recorded if natively.get(recorded, False) else "auto"


def _backbone_config(loaded: LoadedHead, model: str | None, gguf_file: str | None, revision: str | None,
                     device: str, dtype: str, trust_remote_code: bool) -> BackboneConfig:
    backbone = loaded.meta["backbone"]
    dtype = matching_dtype(loaded, device, dtype)
    quantize = backbone.get("quantize")  # the head learnt int8 features (`extract --quantize`): compute them again
    # On a GPU an int8 head is refused when the backbone loads: no CPU speed to speak of.
    int8_on_cpu = quantize == "int8" and resolve_device(device).type == "cpu"
    if int8_on_cpu and (speedup := cpu_int8_speedup()) < INT8_MIN_SPEEDUP:
        warnings.warn(f"this head learnt int8 features, which this CPU computes at {speedup:.2g}x the speed of float32 "
                      "(no VNNI): a cache extracted without `quantize` and a head fitted on it predict faster here",
                      PiiTaggerNotice, stacklevel=3)
    if model is None:
        model, gguf_file, revision = loaded.backbone_source()
    return BackboneConfig(model=model, gguf_file=gguf_file, revision=revision, dtype=dtype, device=device,
                          trust_remote_code=trust_remote_code, quantize=quantize)


def _local_gguf(config: BackboneConfig) -> bool:
    """Whether the backbone is a GGUF file on this machine (the kind kept converted)."""
    return bool(config.gguf_file) and (Path(config.model).expanduser() / config.gguf_file).is_file()


def _converted_or(config: BackboneConfig, device) -> BackboneConfig:
    """The converted copy of a GGUF backbone when one is ready (`extract/converted.py`), else `config`.

    The copy's config remembers the GGUF it came from (`converted_from`), so the head's weights
    check still reads the GGUF file's digest."""
    if not _local_gguf(config):
        return config  # no GGUF, or a hub one: transformers fetches and converts it
    folder = converted_folder(config.model, config.gguf_file, resolve_dtype(config.dtype, device))
    return dataclasses.replace(config, model=str(folder), gguf_file=None) if finished(folder) else config


def _load_network(config: BackboneConfig, device, tokenizer):
    """The backbone in eval mode; a GGUF file loaded the slow way is kept converted for next time."""
    if not _local_gguf(config):
        network, _, input_device = load_backbone(config, device)
        return network, input_device
    warnings.warn(f"converting {config.gguf_file} once (seconds to a minute); later loads reuse the converted "
                  "copy kept in the user cache folder", PiiTaggerNotice, stacklevel=3)
    network, dtype, input_device = load_backbone(dataclasses.replace(config, quantize=None), device)
    save_converted(network, tokenizer, converted_folder(config.model, config.gguf_file, dtype),
                   f"{config.model}/{config.gguf_file}")
    if config.quantize == "int8":
        quantize_int8(network)
    return network, input_device


def text_groups(texts: Iterable[str], group_tokens: int = GROUP_TOKENS) -> Iterator[list[str]]:
    """Consecutive texts in groups of about `group_tokens` tokens (estimated): bounded memory."""
    group: list[str] = []
    tokens = 0
    for text in texts:
        group.append(text)
        tokens += len(text) // 3 + 1 if isinstance(text, str) else 1  # rough token estimate; only bounds memory
        if tokens >= group_tokens:
            yield group
            group, tokens = [], 0
    if group:
        yield group


def labels_to_keep(known: Sequence[str], labels: Iterable[str] | None, setting: str = "labels") -> set[str] | None:
    """The entity types to keep (None: all), refusing one that the head does not know (named as `setting`)."""
    if labels is None:
        return None
    wanted = {label.strip() for label in labels if label.strip()}
    unknown = sorted(wanted - set(known))
    if unknown:
        raise PiiTaggerError(f"`{setting}`: {unknown} are not labels of this head; it knows {', '.join(known)}")
    return wanted


class Tagger:
    """A head plus its backbone, loaded once, turning raw texts into PII spans."""

    def __init__(self, loaded: LoadedHead, model, tokenizer, device, batch_tokens: int = 4096):
        self.loaded = loaded
        self.model = model
        self.tokenizer = tokenizer
        self.device = device
        self.batch_tokens = batch_tokens
        self.capture = LayerCapture(model, loaded.spec.layers)
        self.builder = SegmentBuilder(tokenizer, InputFormat.from_json(loaded.features_fingerprint["input_format"]))
        self.feature_dtype = loaded.meta["cache"]["feature_dtype"]  # the rounding the head was trained on
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0

    @classmethod
    def from_pretrained(cls, head_dir: Path | str | LoadedHead, model: str | None = None, *,
                        gguf_file: str | None = None, revision: str | None = None, device: str = "auto",
                        dtype: str = "auto", batch_tokens: int = 4096, trust_remote_code: bool = False,
                        allow_other_backbone: bool = False) -> "Tagger":
        """Load a head folder (or take a head already loaded) and the backbone it names (or `model`,
        e.g. a local copy of it).

        The backbone must have the weights the head was trained on (checked by digest, wherever
        they are), unless `allow_other_backbone`.
        """
        loaded = head_dir if isinstance(head_dir, LoadedHead) else load_head(head_dir)
        config = _backbone_config(loaded, model, gguf_file, revision, device, dtype, trust_remote_code)
        source = _converted_or(config, resolve_device(device))  # a GGUF backbone converted before: seconds
        where = f"the backbone {config.model!r}" + (" named in the head's checkpoint" if model is None else "")
        with quiet_transformers():
            try:
                tokenizer = load_tokenizer(source.model, gguf_file=source.gguf_file, revision=source.revision,
                                           trust_remote_code=trust_remote_code)
            except (OSError, FileNotFoundError, ValueError) as err:
                raise MissingInputError(f"cannot load {where}: {err}. Set `model` to a name or folder (and "
                                        "`gguf_file` for a GGUF checkpoint) to point at it") from None
            loaded.check_tokenizer(tokenizer, where)
            # The weights checked are the original's (a converted copy's digest is the GGUF file's).
            loaded.check_backbone(load_model_config(source), config.model, config.gguf_file, where,
                                  allow_other_backbone)
            model_obj, input_device = _load_network(source, resolve_device(device), tokenizer)
        return cls(loaded, model_obj, tokenizer, input_device, batch_tokens)

    def features(self, tokenized: list[TokenizedText]) -> tuple[np.ndarray, np.ndarray]:
        """Cached-layer features [T, D * layers] of tokenized texts, and their example pointer."""
        ptr = pointer_from_lengths([len(t.ids) for t in tokenized])  # [E+1]
        layers = self.loaded.spec.layers
        hidden = self.model.config.get_text_config().hidden_size
        features = np.zeros((int(ptr[-1]), hidden * len(layers)), dtype=np.float32)  # [T, H * layers]
        segments = [s for i, tokens in enumerate(tokenized) for s in self.builder.segments(i, tokens)]
        for batch, kept in forward_batches(self.capture, segments, self.batch_tokens, self.pad_id, self.device,
                                           self.feature_dtype, "predict"):
            destination = np.concatenate([ptr[s.text_index] + s.token_indices for s in batch])  # [R]
            for i, layer in enumerate(layers):
                features[destination, i * hidden:(i + 1) * hidden] = kept[layer]
        return features, ptr

    def tag(self, texts: Sequence[str], min_score: float | None = None, labels: Iterable[str] | None = None
            ) -> list[TaggedText]:
        """Spans and masked text for each text.

        Spans scoring below `min_score` are dropped; None uses the head's threshold (chosen on val
        by fit-head), so the spans are those `evaluate` scored.
        """
        return list(self.tag_iter(texts, min_score, labels))

    def tag_iter(self, texts: Iterable[str], min_score: float | None = None, labels: Iterable[str] | None = None
                 ) -> Iterator[TaggedText]:
        """Like `tag`, lazily: texts are featurized in groups, so memory stays bounded."""
        keep = labels_to_keep(self.loaded.scheme.entity_types, labels)
        min_score = self.loaded.threshold if min_score is None else min_score  # guard: predict-threshold
        if not 0.0 <= min_score <= 1.0:
            raise PiiTaggerError(f"`min_score` must be in [0, 1], got {min_score}")
        for group in text_groups(texts):
            _, tagging = self.tag_block(group)
            for text, spans in zip(group, tagging.spans):
                yield TaggedText(text, [PredictedSpan(s.start, s.end, s.label, s.score, text[s.start:s.end])
                                        for s in spans if s.score >= min_score and (keep is None or s.label in keep)])

    def tag_block(self, texts: list[str]) -> tuple[list[TokenizedText], BlockTagging]:
        """Tokens and every scored span (no threshold) of a group of texts: what `score` measures."""
        for text in texts:
            if not isinstance(text, str):
                raise PiiTaggerError(f"expected a text string, got {type(text).__name__}")
            check_text(text, "a text to tag")
        tokenized, _ = tokenize_texts(self.tokenizer, texts)
        ptr = pointer_from_lengths([len(t.ids) for t in tokenized])
        offsets = np.concatenate([t.offsets for t in tokenized]) if tokenized else np.zeros((0, 2), np.int64)
        if ptr[-1] == 0:  # empty texts only: nothing to run, nothing to find
            n = len(self.loaded.scheme.labels)
            return tokenized, BlockTagging(np.zeros(0, np.int64), np.zeros((0, n), np.float32), [[] for _ in texts])
        features, ptr = self.features(tokenized)
        return tokenized, self.loaded.tag(features, ptr, texts, offsets)
