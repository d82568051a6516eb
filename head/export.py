"""`export-hf`: a head on the last layer becomes a transformers `*ForTokenClassification` model.

The standardization is folded into the `score` layer's weights, so the exported checkpoint
works with `pipeline("token-classification")` and gives the same logits as the head.
"""

from __future__ import annotations

import importlib.util
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from extract.errors import PiiTaggerError, MissingInputError
from extract.files import check_can_write, check_disjoint, output_folder
from extract.weights import local_backbone
from head.checkpoint import LoadedHead, load_head
from head.configs import ExportConfig


@dataclass
class ExportResult:
    out: Path
    model_class: str
    labels: int


def folded_weights(loaded: LoadedHead) -> tuple[np.ndarray, np.ndarray]:
    """Weight [C, D] and bias [C] acting on raw features: W (x - m) / s + b = (W / s) x + (b - W (m / s)).

    The O bias chosen on val (subtracted from O's log-probability before decoding) moves into O's
    logit: a softmax shifts every log-probability of a token by the same amount, so argmax agrees."""
    head = loaded.head
    weight = head.coef_ / head.scale_[None, :]  # [C, D]
    bias = head.intercept_ - head.coef_ @ (head.mean_ / head.scale_)  # [C]
    bias[0] -= loaded.outside_bias  # guard: export-folds-o-bias (label 0 is O)
    return weight.astype(np.float32), bias.astype(np.float32)


def exportable_problems(loaded: LoadedHead) -> list[str]:
    """Why `*ForTokenClassification` cannot express the head (then its own modeling code does)."""
    try:
        check_exportable(loaded)
    except PiiTaggerError as err:
        return [str(err)]
    return []


def export_with_code(loaded: LoadedHead, name: str, kwargs: dict, tokenizer, config: ExportConfig) -> ExportResult:
    """The head, its standardization and the blocks it reads, as `PiiTaggerForTokenClassification`
    (head/hf_code/modeling_pii_tagger.py, copied beside the weights: `trust_remote_code=True`)."""
    from transformers import AutoModel

    from extract.tokens import InputFormat, SegmentBuilder

    spec, head = loaded.spec, loaded.head
    backbone = loaded.features_fingerprint["backbone"]
    fmt = InputFormat.from_json(loaded.features_fingerprint["input_format"])
    builder = SegmentBuilder(tokenizer, fmt)
    depth = int(backbone["num_layers"])
    keep = depth if max(spec.layers) == depth else max(spec.layers)  # blocks the head reads, no more
    network = AutoModel.from_pretrained(name, dtype=torch.float32, **kwargs)
    network.layers = network.layers[:keep]
    network.config.num_hidden_layers = keep
    code = _load_code()
    labels = list(loaded.scheme.labels)
    hf_config = code.PiiTaggerConfig(
        backbone=network.config.to_dict(), layers=list(spec.layers), final_layer=depth,
        echo_head=builder.echo_head, echo_middle=builder.echo_middle, prefix_special=builder.prefix_special,
        suffix_special=builder.suffix_special, window=builder.window, stride=fmt.stride, echo=fmt.context == "echo",
        context_window=spec.context_window, context_both_sides=spec.context_both_sides,
        hidden_size=int(backbone["hidden_size"]),
        feature_float16=loaded.meta.get("cache", {}).get("feature_dtype", "float16") == "float16",
        outside_bias=float(loaded.outside_bias), num_labels=len(labels), id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
        auto_map={"AutoConfig": "modeling_pii_tagger.PiiTaggerConfig",
                  "AutoModelForTokenClassification": "modeling_pii_tagger.PiiTaggerForTokenClassification"})
    hf_config.backbone.pop("quantization_config", None)
    model = code.PiiTaggerForTokenClassification(hf_config)
    model.backbone.load_state_dict(network.state_dict())
    with torch.no_grad():
        model.mean.copy_(torch.from_numpy(head.mean_))
        model.scale.copy_(torch.from_numpy(head.scale_))
        model.score.weight.copy_(torch.from_numpy(head.coef_))
        model.score.bias.copy_(torch.from_numpy(head.intercept_))
    with output_folder(config.out, config.overwrite, kind="export") as staging:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        shutil.copy(CODE, staging / CODE.name)
    return ExportResult(Path(config.out), "PiiTaggerForTokenClassification (trust_remote_code)", len(labels))


CODE = Path(__file__).with_name("hf_code") / "modeling_pii_tagger.py"


def _load_code():
    spec = importlib.util.spec_from_file_location("modeling_pii_tagger", CODE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_exportable(loaded: LoadedHead) -> None:
    """`*ForTokenClassification.score` reads the final normed state of each token, nothing else."""
    num_layers = loaded.features_fingerprint["backbone"]["num_layers"]
    problems = []
    if loaded.spec.layers != [num_layers]:
        problems.append(f"it reads layers {loaded.spec.layers}, but a token classification model's score layer only "
                        f"sees the last one ({num_layers}, i.e. -1); train a head on the last layer alone (layers -1 in fit-head)")
    if loaded.spec.context_window:
        problems.append("it reads neighbouring tokens' features (`context_window`), which a token classification "
                        "model cannot express; train one without them (context window 0 in fit-head)")
    if loaded.features_fingerprint["input_format"].get("context", "plain") != "plain":
        problems.append("it was trained on echo features (the text read twice), which a token classification model "
                        "cannot reproduce; extract with the plain context")
    if problems:
        raise PiiTaggerError(f"cannot export {loaded.path} to transformers: " + "; ".join(problems))


def export_hf(config: ExportConfig) -> ExportResult:
    """Write the backbone plus the folded head as a transformers token classification checkpoint."""
    from transformers import AutoConfig, AutoModelForTokenClassification

    from extract.tokens import hub_kwargs, load_tokenizer

    out, model, gguf_file = config.out, config.model, config.gguf_file
    loaded = load_head(config.head)
    name, gguf, revision = loaded.backbone_source(model, gguf_file)
    check_disjoint(out, [config.head, *local_backbone(name)])
    check_can_write(out, config.overwrite, kind="export")
    kwargs = hub_kwargs(gguf, revision)
    labels = list(loaded.scheme.labels)
    try:
        model_config = AutoConfig.from_pretrained(name, **kwargs)
        tokenizer = load_tokenizer(name, gguf_file=gguf, revision=revision)
    except (OSError, FileNotFoundError) as err:
        raise MissingInputError(f"cannot load the backbone {name!r}: {err}. Set `model` to a name or folder "
                                "(and `gguf_file`) to point at it") from None
    loaded.check_tokenizer(tokenizer, f"the backbone {name!r}")
    loaded.check_backbone(model_config, name, gguf, f"the backbone {name!r}", config.allow_other_backbone)
    if exportable_problems(loaded):  # middle layers, echo, neighbours: the model that reads them
        return export_with_code(loaded, name, kwargs, tokenizer, config)
    model_config.num_labels = len(labels)
    model_config.id2label = dict(enumerate(labels))
    model_config.label2id = {label: i for i, label in enumerate(labels)}
    model_config.token_classification_bias = True  # the head has a bias; keep it in `score`
    network = AutoModelForTokenClassification.from_pretrained(name, config=model_config, dtype=torch.float32,
                                                              **kwargs)
    weight, bias = folded_weights(loaded)
    if network.score.weight.shape != weight.shape or network.score.bias is None:
        raise PiiTaggerError(f"{type(network).__name__}.score has shape {tuple(network.score.weight.shape)}, "
                         f"the head {weight.shape}")
    with torch.no_grad():
        network.score.weight.copy_(torch.from_numpy(weight))
        network.score.bias.copy_(torch.from_numpy(bias))
    with output_folder(out, config.overwrite, kind="export") as staging:
        network.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
    return ExportResult(Path(out), type(network).__name__, len(labels))
