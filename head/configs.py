"""The settings of the head's stages (fit-head, predict, export-hf) and their choices: plain
dataclasses that import no torch, so the command line shows and checks them without loading one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from extract.errors import PiiTaggerError

CLASS_WEIGHTS = ("none", "balanced")
# The operating points fit-head chooses on val and stores in the head, the default first: "recall"
# has the best character F5 above a precision floor, "precise" the best character F1.
OPERATING_POINTS = ("recall", "precise")
# The recall point's precision floor must hold with this confidence over val's texts (a bootstrap
# lower bound), not only on val's sample: a point just over the floor passes by luck half the time.
FLOOR_CONFIDENCE = 0.95


@dataclass(kw_only=True)
class Hyperparameters:
    """What every trial of a run shares (the grid varies lr and weight decay)."""

    epochs: int = 20  # passes over the cached train features; cheap now that the backbone is out
    batch_tokens: int = 4096  # tokens per optimizer step
    dropout: float = 0.1  # on the head's input: a light regulariser for thousands of features
    class_weight: str = "none"  # "balanced": weigh the loss by inverse label frequency
    warmup: float = 0.05  # share of steps with a linear learning-rate warm-up, then linear decay
    patience: int = 3  # epochs without a better validation span F1 before a trial stops
    max_grad_norm: float = 1.0  # gradient clipping, per trial
    seed: int = 42  # initial weights, batch order and dropout masks

    def check(self) -> None:
        if self.epochs < 1:
            raise PiiTaggerError(f"`epochs` must be at least 1, got {self.epochs}")
        if self.batch_tokens < 1:
            raise PiiTaggerError(f"`batch_tokens` must be at least 1, got {self.batch_tokens}")
        if not 0.0 <= self.dropout < 1.0:
            raise PiiTaggerError(f"`dropout` must be in [0, 1), got {self.dropout}")
        if self.class_weight not in CLASS_WEIGHTS:
            raise PiiTaggerError(f"`class_weight`: unknown value {self.class_weight!r} (none or balanced)")
        if not 0.0 <= self.warmup < 1.0:
            raise PiiTaggerError(f"`warmup` must be in [0, 1), got {self.warmup}")
        if self.patience < 1:
            raise PiiTaggerError(f"`patience` must be at least 1, got {self.patience}")


@dataclass(kw_only=True)
class FitConfig:
    cache: Path  # a cache folder written by `extract`
    out: Path  # the head folder to write
    layers: str | None = None  # layer specs to concatenate ('-1', '0.5,-1'); None: every cached layer
    # A sweep by default: trained together it costs little more than one run. Standardized
    # features want learning rates far above fine-tuning's, and the best one varies with the data.
    lrs: tuple[float, ...] = (1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
    weight_decays: tuple[float, ...] = (0.01,)  # AdamW's decoupled weight decay
    hp: Hyperparameters = field(default_factory=Hyperparameters)  # epochs, batch, dropout, ...
    standardize: bool = True  # mean/std of what the head learns from (train, + val for the refit), stored
    context_window: int = 0  # append the next K tokens' features to each token's (right context)
    context_both_sides: bool = False  # and the previous K tokens' too
    decode: str = "viterbi"  # scores -> labels in validation, evaluate, predict: only valid BIO sequences
    # How a word's sub-tokens' scores combine (spans never cut a word): "auto" picks first, mean
    # or max on val after training; "token" decodes tokens apart (spans may then cut a word).
    word_scores: str = "auto"
    # The default operating point has the best val character F5 (recall first: a missed value costs
    # a redactor more than a false alarm) among those whose character precision reaches this with
    # 95% confidence over val's texts: at 0.95, one hidden character in twenty may be no PII (0.97
    # held the demo head at O bias 0-0.5).
    precision_floor: float = 0.95
    # After every choice is made on val, train the chosen trial again on train + val for its best
    # epoch count and keep that head: it has seen more sentence shapes, and test stays unseen.
    refit: bool = True
    max_memory: str = "8GB"  # above this the train features are streamed shard by shard
    device: str = "auto"  # cuda when available, else cpu
    overwrite: bool = False  # replace an existing head folder
    progress: bool = True  # progress bars and a line per epoch


@dataclass(kw_only=True)
class PredictConfig:
    head: Path  # a head folder written by `fit-head`
    text: str | None = None  # one text to tag; or else `input`
    # A file to tag, "-" for standard input: JSONL ({"id", "text"} objects or JSON strings), a plain
    # text (one document), or a CSV/TSV table (`column` redacted), by `format` or by its suffix.
    input: Path | None = None
    format: str | None = None  # jsonl, text, csv or tsv; None: the input's suffix (.txt, .csv, .tsv), else jsonl
    text_field: str = "text"  # the JSONL field holding the text ("source_text" too, for AI4Privacy rows)
    column: str | None = None  # the CSV/TSV column to redact; None: the one named "text"
    # Results, written atomically, in the input's format unless the output's suffix names another
    # (.jsonl: rows with spans); None: JSONL rows go to the caller's `emit`, other formats to stdout.
    output: Path | None = None
    model: str | None = None  # backbone to load instead of the one named in the head (a local copy)
    gguf_file: str | None = None  # GGUF file inside `model`
    batch_tokens: int = 4096  # padded positions per forward pass
    # Spans scoring below this are dropped; None: the head's threshold, chosen on val by fit-head,
    # so the spans are exactly those `evaluate` counts. 0 keeps every span.
    min_score: float | None = None
    # Which of the head's operating points (O bias, span threshold, rule layer) to apply; None: the
    # head's default ("recall"). Heads from before operating points have one, their own.
    operating_point: str | None = None
    # The rule layer (validated e-mails, IPs, IBANs, BICs, cards, NIRs, dates, phones) on or off whatever
    # the point says; None: the point's choice, made on val (on only where it raised val recall).
    rules: bool | None = None
    labels: tuple[str, ...] = ()  # keep only these entity types; empty: all of the head's
    # What becomes of each span in `masked_text` (head/operators.py): "NAME" for every label,
    # "LABEL=NAME" for one, "default=NAME" for the rest; empty: [LABEL_n] placeholders.
    operators: tuple[str, ...] = ()
    salt_file: Path | None = None  # the salt of `hash`; None: $PII_TAGGER_SALT, else random for the run
    mapping: Path | None = None  # write surrogate -> original (fake, hash) here as JSON, mode 0600
    html: Path | None = None  # also write the texts with their entities highlighted, as a web page
    device: str = "auto"  # cuda when available, else cpu
    dtype: str = "auto"  # the head's cache dtype when this device runs it natively
    allow_other_backbone: bool = False  # accept other weights of the same shape than the head's
    skip_invalid: bool = False  # skip malformed input lines (counted) instead of stopping
    overwrite: bool = False  # replace an existing output file
    progress: bool = True  # a progress bar with texts/s and ETA


@dataclass(kw_only=True)
class ExportConfig:
    head: Path  # a head folder written by `fit-head` (last layer, plain context, no neighbours)
    out: Path  # the folder of the transformers checkpoint
    model: str | None = None  # backbone to load instead of the one named in the head (a local copy)
    gguf_file: str | None = None  # GGUF file inside `model`
    allow_other_backbone: bool = False  # accept other weights of the same shape than the head's
    overwrite: bool = False  # replace an export folder this tool wrote
