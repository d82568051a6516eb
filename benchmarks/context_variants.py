"""Which features give each token its right context? Plain vs echo extraction, last / middle /
both layers, with and without neighbour features, greedy vs Viterbi decoding, on the demo corpus.

Prints a Markdown table (strict span F1, label-blind detection and character-level redaction F1 and
F5, extraction cost), measured on the test split when the prepared data has one (fit-head chooses on
val), and writes it with the raw figures under --workdir. Run: python benchmarks/context_variants.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import machine  # noqa: E402

from evaluation.evaluate import evaluate_head  # noqa: E402
from extract.cache_reader import CacheReader  # noqa: E402
from extract.offline_models import smollm2_gguf, tiny_mistral  # noqa: E402
from extract.extractor import ExtractConfig, run_extract  # noqa: E402
from extract.prepare import PrepareConfig, prepare  # noqa: E402
from extract.synth import SynthConfig, generate, write_corpus  # noqa: E402
from head.checkpoint import load_head  # noqa: E402
from head.configs import Hyperparameters  # noqa: E402
from head.fit import FitConfig, fit_head  # noqa: E402
from tools.demo import demo_quantize  # noqa: E402

LAYER_CHOICES = {"last": "-1", "middle": "0.5", "middle+last": "0.5,-1"}


@click.command()
@click.option("--workdir", type=click.Path(path_type=Path), default=Path("/tmp/context-variants"), show_default=True,
              help="Where data, caches and heads go.")
@click.option("--backbone", type=click.Choice(["smollm2", "tiny"]), default="smollm2", show_default=True,
              help="Backbone whose features are compared.")
@click.option("--n-english", type=int, default=600, show_default=True, help="Synthetic English texts.")
@click.option("--n-french", type=int, default=600, show_default=True, help="Synthetic French texts.")
@click.option("--epochs", type=int, default=20, show_default=True, help="Head epochs (upper bound).")
@click.option("--quantize", type=click.Choice(["auto", "none", "int8"]), default="auto", show_default=True,
              help="int8 backbone Linear layers as the demo does (auto: where it would compute in float32 on CPU).")
def main(workdir: Path, backbone: str, n_english: int, n_french: int, epochs: int, quantize: str):
    """Example: python benchmarks/context_variants.py --workdir /tmp/cv"""
    quantized = demo_quantize(None if quantize == "none" else quantize, "auto")
    print(f"backbone {backbone}{' in int8' if quantized else ''}", flush=True)
    workdir.mkdir(parents=True, exist_ok=True)
    if backbone == "smollm2":
        folder, gguf = smollm2_gguf()
        model, gguf_file = str(folder), gguf
    else:
        model, gguf_file = str(tiny_mistral(workdir / "tiny")), None
    data = workdir / "data"
    if not (data / "token_classification" / "train.jsonl").exists():
        write_corpus(generate(SynthConfig(n_english=n_english, n_french=n_french, seed=42)), data)
        prepare(PrepareConfig(data_dir=data, out=data / "token_classification", overwrite=True))

    costs = {}
    for context in ("plain", "echo"):
        # Only the middle+last caches are extracted: every head reads them, and a middle-only
        # extraction computes the same positions through half the blocks (its cost is derived).
        for layers in ("0.5,-1",):
            out = workdir / f"cache-{context}-{layers.replace(',', '_')}"
            result = run_extract(ExtractConfig(data=data / "token_classification", out=out, model=model,
                                               gguf_file=gguf_file, layers=layers, context=context,
                                               batch_tokens=2048, quantize=quantized, overwrite=True))
            costs[(context, layers)] = {"seconds": result.compute_seconds, "tokens": result.tokens,
                                        "blocks": max(result.layers),
                                        "positions_per_token": result.real_positions / max(1, result.tokens),
                                        "tokens_per_second": result.tokens_per_second}
            print(f"extract {context} {layers}: {result.compute_seconds:.0f}s, "
                  f"{result.tokens_per_second:.0f} tokens/s", flush=True)
        middle = dict(costs[(context, "0.5,-1")], blocks=min(result.layers), seconds=None, tokens_per_second=None)
        costs[(context, "0.5")] = middle

    rows = []
    for context in ("plain", "echo"):
        cache = workdir / f"cache-{context}-0.5_-1"
        reader = CacheReader(cache)
        # fit-head chooses epochs and trials on val: the figures come from test when it exists.
        reported = "test" if "test" in reader.splits else "val"
        for layer_name, layers in LAYER_CHOICES.items():
            for window in (0, 1):
                head = workdir / f"head-{context}-{layer_name}-cw{window}"
                started = time.perf_counter()
                fitted = fit_head(FitConfig(cache=cache, out=head, layers=layers, lrs=(3e-3, 1e-2, 3e-2, 1e-1),
                                            hp=Hyperparameters(epochs=epochs), context_window=window,
                                            decode="viterbi", overwrite=True, progress=False))
                fit_seconds = time.perf_counter() - started
                loaded = load_head(head)
                row = {"context": context, "layers": layer_name, "context_window": window,
                       "best_trial": fitted.best.trial.name, "fit_seconds": fit_seconds, "split": reported}
                for decode in ("greedy", "viterbi"):
                    metrics, _ = evaluate_head(reader, loaded, reported, decode)
                    entity = metrics["entity"]
                    chars = entity.get("char", {}).get("overall", {})
                    row[decode] = {"strict_f1": entity["strict"]["overall"]["f1"],
                                   "detection_f1": entity["detection"]["overall"]["f1"],
                                   "detection_f5": entity["detection"]["overall"]["f5"],
                                   "char_f1": chars.get("f1"), "char_f5": chars.get("f5")}
                extraction = "0.5" if layer_name == "middle" else "0.5,-1"
                row["extract"] = costs[(context, extraction)]
                rows.append(row)
                print(json.dumps(row), flush=True)

    plain_cost = _cost(costs[("plain", "0.5,-1")])
    lines = [f"Figures on the {rows[0]['split']} split ({reader.n_examples(rows[0]['split'])} texts), "
             f"{n_english} + {n_french} synthetic texts, backbone {backbone}{' in int8' if quantized else ''}, "
             f"{machine()}. Extraction cost: model positions x blocks computed per cached token, relative to "
             "plain middle+last (deterministic; the seconds, in the JSON, depend on the machine's load).", "",
             "| Extraction | Layers | Next-token features | Strict F1 greedy | Strict F1 Viterbi | "
             "Detection F1 | Detection F5 | Char F1 | Char F5 | Extraction cost |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        lines.append(f"| {row['context']} | {row['layers']} | {'yes' if row['context_window'] else 'no'} | "
                     f"{row['greedy']['strict_f1']:.3f} | {row['viterbi']['strict_f1']:.3f} | "
                     f"{row['viterbi']['detection_f1']:.3f} | {row['viterbi']['detection_f5']:.3f} | "
                     f"{_figure(row['viterbi']['char_f1'])} | {_figure(row['viterbi']['char_f5'])} | "
                     f"{_cost(row['extract']) / plain_cost:.2f}x |")
    table = "\n".join(lines)
    print(table)
    (workdir / "context_variants.md").write_text(table + "\n")
    (workdir / "context_variants.json").write_text(json.dumps({"rows": rows, "costs": {
        f"{c}|{l}": v for (c, l), v in costs.items()}}, indent=2))


def _cost(extraction: dict) -> float:
    """Model positions computed per cached token times the blocks run (the deepest cached layer)."""
    return extraction["positions_per_token"] * extraction["blocks"]


def _figure(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    main()
