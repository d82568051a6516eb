"""Head checkpoints: `head.safetensors` (weights, normalization) and `head.json` (everything else).

The JSON carries the label scheme, the layers and input format, the fingerprint of the features
it was trained on, the hyperparameters and the curves, so a head can be checked before use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load_file, save_file

from extract.errors import PiiTaggerError, MissingInputError
from extract.cache_format import diff_fingerprints
from extract.files import atomic_write_json, read_json
from extract.labels import LabelScheme
from extract.records import Span
from head.data import FeatureSpec
from head.decoding import DECODERS, decode_labels, labels_to_spans
from head.model import TokenHead

HEAD_FORMAT_VERSION = 1
WEIGHTS = "head.safetensors"
METADATA = "head.json"


@dataclass
class LoadedHead:
    """A head ready to apply: the estimator plus what its inputs and outputs mean."""

    path: Path
    head: TokenHead
    scheme: LabelScheme
    spec: FeatureSpec
    decode: str  # "greedy" or "viterbi"
    meta: dict  # the whole head.json

    @property
    def features_fingerprint(self) -> dict:
        return self.meta["features_fingerprint"]

    def tag(self, features: np.ndarray, ptr: np.ndarray, texts: list[str], offsets: np.ndarray,
            decode: str | None = None) -> "Tagging":
        """Labels, probabilities and spans for a block of examples' cached features [T, D].

        `evaluate` and `predict` both call this, so they agree on the same text.
        """
        log_probs = self.head.predict_log_proba(features, ptr)  # [T, C]
        labels = decode_labels(log_probs, ptr, self.scheme, decode or self.decode)  # [T]
        spans = labels_to_spans(texts, offsets, ptr, labels, self.scheme)
        return Tagging(labels, log_probs, spans)

    def check_tokenizer(self, tokenizer, where: str) -> None:
        """Refuse a backbone whose tokenizer differs from the one the head was trained with."""
        from extract.tokens import tokenizer_fingerprint

        expected = self.features_fingerprint["tokenizer"]
        actual = tokenizer_fingerprint(tokenizer)
        differences = diff_fingerprints(expected, {key: actual.get(key) for key in expected})
        if differences:
            raise PiiTaggerError(f"{where} has another tokenizer than the one the head was trained with: "
                             + "; ".join(differences))

    def check_shape(self, model_config, where: str) -> None:
        """Refuse a backbone of another width or depth than the head's."""
        text_config = model_config.get_text_config() if hasattr(model_config, "get_text_config") else model_config
        shape = {"hidden_size": int(text_config.hidden_size), "num_layers": int(text_config.num_hidden_layers)}
        expected = {key: self.features_fingerprint["backbone"][key] for key in shape}
        if shape != expected:
            raise PiiTaggerError(f"{where} is not the backbone the head was trained on: "
                             + "; ".join(diff_fingerprints(expected, shape)))

    def check_features(self, fingerprint: dict, where: str) -> None:
        """Refuse features made another way (backbone, tokenizer, input format, layers)."""
        differences = diff_fingerprints(self.features_fingerprint, fingerprint)
        if differences:
            raise PiiTaggerError(
                f"the head {self.path} was trained on other features than {where}: " + "; ".join(differences[:6])
            )


@dataclass
class Tagging:
    labels: np.ndarray  # int64 [T], label ids in the head's scheme
    log_probs: np.ndarray  # float32 [T, C]
    spans: list[list[Span]]  # per example


def save_head(folder: Path, head: TokenHead, meta: dict) -> None:
    """Write weights and metadata into `folder` (which the caller creates atomically)."""
    tensors = {
        "weight": np.ascontiguousarray(head.coef_, dtype=np.float32),  # [C, D']
        "bias": np.ascontiguousarray(head.intercept_, dtype=np.float32),  # [C]
        "mean": np.ascontiguousarray(head.mean_, dtype=np.float32),  # [D]
        "std": np.ascontiguousarray(head.scale_, dtype=np.float32),  # [D]
    }
    save_file(tensors, str(Path(folder) / WEIGHTS), metadata={"format": "llm-pii-tagger head"})
    atomic_write_json(Path(folder) / METADATA, {"format_version": HEAD_FORMAT_VERSION, **meta})


def load_head(folder: Path | str, device: str = "cpu") -> LoadedHead:
    """Read a head folder written by `fit-head`, checking that its parts agree."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MissingInputError(f"--head {folder}: no such folder (train one with `cli.py fit-head`)")
    meta = read_json(folder / METADATA, "head metadata (is this a folder written by `cli.py fit-head`?)")
    if meta.get("format_version") != HEAD_FORMAT_VERSION:
        raise PiiTaggerError(f"--head {folder}: head format version {meta.get('format_version')}, "
                         f"this version reads {HEAD_FORMAT_VERSION}")
    if not (folder / WEIGHTS).is_file():
        raise MissingInputError(f"--head {folder}: {WEIGHTS} is missing")
    try:
        tensors = load_file(str(folder / WEIGHTS))
        weight, bias, mean, std = tensors["weight"], tensors["bias"], tensors["mean"], tensors["std"]
        scheme = LabelScheme.from_json(meta["labels"])
        features = meta["features"]
        spec = FeatureSpec(list(meta["layers"]), int(features["context_window"]),
                           bool(features["context_both_sides"]), bool(features["standardize"]))
        hp = meta["hyperparameters"]
        head = TokenHead(hp["lr"], hp["weight_decay"], hp["epochs"], hp["batch_tokens"], hp["dropout"],
                         hp["class_weight"], hp["warmup"], hp["patience"], spec.standardize, spec.context_window,
                         spec.context_both_sides, hp["seed"], device)
        meta["features_fingerprint"], meta["backbone"], meta["cache"]["feature_dtype"]
    except (KeyError, TypeError, SafetensorError) as err:
        raise PiiTaggerError(f"--head {folder}: damaged or incomplete checkpoint ({type(err).__name__}: {err}); "
                         "train it again with `cli.py fit-head`") from None
    if weight.shape != (len(scheme.labels), len(mean) * spec.copies) or bias.shape != (len(scheme.labels),):
        raise PiiTaggerError(f"--head {folder}: weights of shape {weight.shape} do not match {len(scheme.labels)} labels "
                         f"and {len(mean)} x {spec.copies} inputs")
    head.coef_, head.intercept_ = weight, bias
    head.mean_, head.scale_ = mean, std
    head.classes_ = np.arange(len(bias))
    head.n_features_in_ = len(mean)
    head.best_epoch_ = meta.get("best_epoch")
    head.history_ = meta.get("curve", [])
    decode = meta.get("decode", "greedy")
    if decode not in DECODERS:
        raise PiiTaggerError(f"--head {folder}: unknown decoding {decode!r}")
    return LoadedHead(folder, head, scheme, spec, decode, meta)
