"""Head checkpoints: `head.safetensors` (weights, normalization) and `head.json` (everything else).

The JSON carries the label scheme, the layers and input format, the fingerprint of the features
it was trained on, the hyperparameters and the curves, so a head can be checked before use.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load_file, save_file

from extract.errors import MissingInputError, NonFiniteError, PiiTaggerError, PiiTaggerNotice
from extract.cache_format import diff_fingerprints
from extract.files import atomic_write_json, read_json
from extract.labels import LabelScheme
from head.data import FeatureSpec
from head.decoding import DECODERS
from head.model import TokenHead
from head.decoding import AGGREGATIONS, BlockTagging, tag_block

HEAD_FORMAT_VERSION = 2  # 2: the backbone's weights digest in the features fingerprint, the span threshold
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
    word_scores: str  # how sub-token scores make a word's (head.decoding.AGGREGATIONS)
    threshold: float  # spans scoring below it are dropped; chosen on val by fit-head
    outside_bias: float  # taken from O's log-probability before decoding; chosen on val by fit-head
    meta: dict  # the whole head.json
    rules: bool = False  # validated matches (head/rules.py) add or widen spans; chosen on val by fit-head
    operating_point: str = "default"  # which stored point gives threshold, O bias and rules

    @property
    def operating_points(self) -> dict:
        """The points fit-head chose on val, by name ({} for heads from before them)."""
        return self.meta.get("decoding", {}).get("operating_points", {})

    def at_point(self, name: str | None, rules: bool | None = None) -> "LoadedHead":
        """This head at the operating point `name` (None: the head's default), with the rule layer
        forced on or off by `rules` (None: the point's own choice)."""
        if rules is not None:
            return dataclasses.replace(self.at_point(name), rules=rules)
        if name is None:
            return self
        points = self.operating_points
        if name not in points:
            known = ", ".join(points) or "none: this head predates them, its single point applies"
            raise PiiTaggerError(f"`operating_point`: {name!r} is not a point of this head (it has {known})")
        point = points[name]
        return dataclasses.replace(self, threshold=float(point["threshold"]), outside_bias=float(point["outside_bias"]),
                                   rules=bool(point["rules"]), operating_point=name)

    @property
    def features_fingerprint(self) -> dict:
        return self.meta["features_fingerprint"]

    def backbone_source(self, model: str | None = None, gguf_file: str | None = None
                        ) -> tuple[str, str | None, str | None]:
        """(name or folder, GGUF file, revision) to load: `model` when given, else the backbone the head
        names, found on this machine (the embedded one, a hub id, a local folder by its weights)."""
        from extract.weights import find_backbone

        if model is not None:
            return model, gguf_file, None
        backbone = self.meta["backbone"]
        return find_backbone(backbone), backbone.get("gguf_file"), backbone.get("revision")

    def tag(self, features: np.ndarray, ptr: np.ndarray, texts: list[str], offsets: np.ndarray,
            decode: str | None = None) -> BlockTagging:
        """Labels, probabilities and scored spans for a block of examples' cached features [T, D].

        `evaluate` and `predict` both call this, so they agree on the same text; the caller keeps
        the spans at `self.threshold` (`BlockTagging.kept`).
        """
        log_probs = self.head.predict_log_proba(features, ptr)  # [T, C]
        return tag_block(log_probs, ptr, texts, offsets, self.scheme, decode or self.decode, self.word_scores,
                         self.outside_bias, self.rules)

    def check_tokenizer(self, tokenizer, where: str) -> None:
        """Refuse a backbone whose tokenizer differs from the one the head was trained with."""
        from extract.tokens import tokenizer_fingerprint

        expected = self.features_fingerprint["tokenizer"]
        actual = tokenizer_fingerprint(tokenizer)
        differences = diff_fingerprints(expected, {key: actual.get(key) for key in expected})
        if differences:
            raise PiiTaggerError(f"{where} has another tokenizer than the one the head was trained with: "
                             + "; ".join(differences))

    def check_backbone(self, model_config, name_or_path: str, gguf_file: str | None, where: str,
                       allow_other_backbone: bool = False) -> None:
        """Refuse a backbone of another width or depth, or (unless allowed) with other weights."""
        from extract.weights import recorded_sampled, weights_identity

        text_config = model_config.get_text_config() if hasattr(model_config, "get_text_config") else model_config
        shape = {"hidden_size": int(text_config.hidden_size), "num_layers": int(text_config.num_hidden_layers)}
        expected = {key: self.features_fingerprint["backbone"][key] for key in shape}
        if shape != expected:
            raise PiiTaggerError(f"{where} is not the backbone the head was trained on: "
                                 + "; ".join(diff_fingerprints(expected, shape)))
        trained_on = self.features_fingerprint["backbone"].get("weights")
        sampled = recorded_sampled(trained_on)
        if sampled:
            warnings.warn(f"the head {self.path} records its backbone's weights by a sampled digest (an older "
                          "version's), which a change between the samples escapes; compared that way. A head "
                          "trained on a cache extracted now records every byte", PiiTaggerNotice, stacklevel=2)
        actual = weights_identity(name_or_path, gguf_file, getattr(model_config, "_commit_hash", None), sampled)
        if trained_on != actual and not allow_other_backbone:
            raise PiiTaggerError(f"{where} has other weights than the backbone the head {self.path} was trained on "
                                 f"({trained_on and trained_on.get('sha256', '?')[:12]} from "
                                 f"{self.meta['backbone'].get('name_or_path')!r}, this one {actual['sha256'][:12]}); "
                                 "use `allow_other_backbone` to use it anyway")

    def check_features(self, fingerprint: dict, where: str, allow_other_backbone: bool = False) -> None:
        """Refuse features made another way (backbone weights, tokenizer, input format, layers).

        With `allow_other_backbone`, only the backbone's weights may differ (same width and depth).
        """
        from extract.weights import recorded_sampled

        expected, actual = self.features_fingerprint, fingerprint
        if allow_other_backbone:
            expected = {**expected, "backbone": {**expected["backbone"], "weights": None}}
            actual = {**actual, "backbone": {**actual["backbone"], "weights": None}}
        differences = diff_fingerprints(expected, actual)
        ours, theirs = expected["backbone"].get("weights"), actual["backbone"].get("weights")
        only_weights = differences and all(d.startswith("backbone.weights") for d in differences)
        if only_weights and recorded_sampled(ours) != recorded_sampled(theirs):
            older = "the head" if recorded_sampled(ours) else where
            raise PiiTaggerError(f"the head {self.path} and {where} record their backbone's weights differently "
                                 f"({older} by the sampled digest of an older version), so they cannot be compared; "
                                 "train a head on this cache with `cli.py fit-head` (or re-extract it)")
        if differences:
            raise PiiTaggerError(
                f"the head {self.path} was trained on other features than {where}: " + "; ".join(differences[:6])
                + ("" if allow_other_backbone or not any(d.startswith("backbone.weights") for d in differences)
                   else " (use `allow_other_backbone` to use other weights of the same shape)")
            )


def check_finite_tensors(tensors: dict[str, np.ndarray], where: str) -> None:
    """A head with NaN or infinite parameters would find nothing: refuse it (fail closed)."""
    broken = [name for name, array in tensors.items() if not np.isfinite(array).all()]
    if broken:  # guard: finite-head
        raise NonFiniteError(f"{where}: non-finite values (NaN or inf) in {', '.join(broken)}; such a head would "
                             "tag nothing. Train it again (check the features and the learning rate)")


def save_head(folder: Path, head: TokenHead, meta: dict) -> None:
    """Write weights and metadata into `folder` (which the caller creates atomically)."""
    tensors = {
        "weight": np.ascontiguousarray(head.coef_, dtype=np.float32),  # [C, D']
        "bias": np.ascontiguousarray(head.intercept_, dtype=np.float32),  # [C]
        "mean": np.ascontiguousarray(head.mean_, dtype=np.float32),  # [D]
        "std": np.ascontiguousarray(head.scale_, dtype=np.float32),  # [D]
    }
    check_finite_tensors(tensors, f"the head for {folder}")
    save_file(tensors, str(Path(folder) / WEIGHTS), metadata={"format": "llm-pii-tagger head"})
    atomic_write_json(Path(folder) / METADATA, {"format_version": HEAD_FORMAT_VERSION, **meta})


def load_head(folder: Path | str, device: str = "cpu") -> LoadedHead:
    """Read a head folder written by `fit-head`, checking that its parts agree."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MissingInputError(f"`head` {folder}: no such folder (train one with `cli.py fit-head`)")
    meta = read_json(folder / METADATA, "head metadata (is this a folder written by `cli.py fit-head`?)")
    if meta.get("format_version") != HEAD_FORMAT_VERSION:
        raise PiiTaggerError(f"`head` {folder}: head format version {meta.get('format_version')}, "
                         f"this version reads {HEAD_FORMAT_VERSION}")
    if not (folder / WEIGHTS).is_file():
        raise MissingInputError(f"`head` {folder}: {WEIGHTS} is missing")
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
        raise PiiTaggerError(f"`head` {folder}: damaged or incomplete checkpoint ({type(err).__name__}: {err}); "
                         "train it again with `cli.py fit-head`") from None
    check_finite_tensors(tensors, f"`head` {folder}")
    if weight.shape != (len(scheme.labels), len(mean) * spec.copies) or bias.shape != (len(scheme.labels),):
        raise PiiTaggerError(f"`head` {folder}: weights of shape {weight.shape} do not match {len(scheme.labels)} labels "
                         f"and {len(mean)} x {spec.copies} inputs")
    head.coef_, head.intercept_ = weight, bias
    head.mean_, head.scale_ = mean, std
    head.classes_ = np.arange(len(bias))
    head.n_features_in_ = len(mean)
    head.best_epoch_ = meta.get("best_epoch")
    head.history_ = meta.get("curve", [])
    decoding = meta.get("decoding", {})
    decode, word_scores = decoding.get("decode", "greedy"), decoding.get("word_scores", "token")
    threshold, outside_bias = decoding.get("threshold", 0.0), decoding.get("outside_bias", 0.0)
    if decode not in DECODERS or word_scores not in AGGREGATIONS:
        raise PiiTaggerError(f"`head` {folder}: unknown decoding {decode!r} / word scores {word_scores!r}")
    if not isinstance(threshold, (int, float)) or not 0.0 <= threshold <= 1.0:
        raise PiiTaggerError(f"`head` {folder}: the span threshold {threshold!r} is not a number in [0, 1]")
    if not isinstance(outside_bias, (int, float)) or not np.isfinite(outside_bias):
        raise PiiTaggerError(f"`head` {folder}: the O bias {outside_bias!r} is not a finite number")
    rules, point = decoding.get("rules", False), decoding.get("operating_point", "default")
    if not isinstance(rules, bool):
        raise PiiTaggerError(f"`head` {folder}: the rule layer setting {rules!r} is not true or false")
    for name, stored in (decoding.get("operating_points") or {}).items():
        if not (isinstance(stored, dict) and isinstance(stored.get("rules"), bool)
                and isinstance(stored.get("threshold"), (int, float)) and 0.0 <= stored["threshold"] <= 1.0
                and isinstance(stored.get("outside_bias"), (int, float)) and np.isfinite(stored["outside_bias"])):
            raise PiiTaggerError(f"`head` {folder}: the operating point {name!r} is damaged ({stored!r}); train "
                                 "the head again with `cli.py fit-head`")
    return LoadedHead(folder, head, scheme, spec, decode, word_scores, float(threshold), float(outside_bias), meta,
                      rules, point)
