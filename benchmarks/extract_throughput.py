"""`extract` against a bare forward pass over the same batches: tokens/s, padding and memory, per dtype.

For each compute dtype (float32 and bfloat16 side by side where the CPU runs bf16 natively, bf16 on a
GPU, int8 with --quantize int8), each --layers and each --context, one run prints: extract tokens/s,
a bare forward of the same depth over the same batches, their ratio (target >= 0.9), padding
efficiency and peak GPU memory; for an embedded backbone also peak RSS on 1x and 4x the corpus.

  python benchmarks/extract_throughput.py --backbone smollm2 --layers 0.5 --context echo
  python benchmarks/extract_throughput.py --config mistral-7b --random-weights                  # GPU: bf16
  python benchmarks/extract_throughput.py --config mistral-7b --random-weights --num-layers 2   # CPU, < 1 min
  accelerate launch --num_processes 4 benchmarks/extract_throughput.py --config mistral-7b --random-weights
(several GPUs: every process computes its share of the shards, as `extract` does; figures are summed)
"""

from __future__ import annotations

import gc
import json
import math
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import click
import torch

from common import CONFIGS, backbone_source, bare_forward_seconds, cpu_features, decoder_depth, load_model, \
    machine, random_weights_model, synthetic_prepared

from extract.backbone import cpu_has_native_bf16
from extract.cache_writer import plan_shards
from extract.extractor import ExtractConfig, distributed_state, index_split, read_label_scheme, run_extract, \
    split_files
from extract.layers import resolve_layers
from extract.tokens import InputFormat, SegmentBuilder, load_tokenizer, tokenize_texts

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Figures:
    """One (dtype, layers, context) cell, summed over processes."""

    dtype: str  # compute dtype, "+int8" when the Linear layers are quantized
    layers: str  # as asked, e.g. "0.5,-1"
    context: str  # plain or echo
    blocks: int  # transformer blocks both sides ran (extract stops after the deepest layer)
    tokens: int  # cache rows written
    positions: int  # model positions computed, padding included
    extract_seconds: float  # extract's compute (forward passes, gathering, shard writes)
    bare_seconds: float  # a bare forward of the same blocks over the same batches
    padding_efficiency: float  # real positions / computed positions
    fixed_over_bucketed: float  # positions if every input were padded to --max-length / ours
    peak_gpu_mb_extract: float | None  # None without a GPU
    peak_gpu_mb_bare: float | None

    @property
    def extract_tokens_per_s(self) -> float:
        return self.tokens / self.extract_seconds

    @property
    def bare_tokens_per_s(self) -> float:
        return self.tokens / self.bare_seconds

    @property
    def ratio(self) -> float:
        return self.bare_seconds / self.extract_seconds

    def to_json(self) -> dict:
        return {**asdict(self), "extract_tokens_per_s": self.extract_tokens_per_s,
                "bare_tokens_per_s": self.bare_tokens_per_s, "ratio": self.ratio}


def segments_of(prepared: Path, model: str, gguf_file: str | None, fmt: InputFormat, shard_tokens: int,
                rank: int = 0, world: int = 1):
    """The model inputs extract builds for this process's shards, grouped by shard as extract batches them."""
    tokenizer = load_tokenizer(model, gguf_file=gguf_file)
    scheme = read_label_scheme(prepared)
    builder = SegmentBuilder(tokenizer, fmt)
    plans = []
    for split, path in split_files(prepared, nonempty_splits(prepared)).items():
        index = index_split(path, tokenizer, scheme)
        plans += [(index, plan) for plan in plan_shards(split, index.token_counts.tolist(), shard_tokens)]
    groups = []
    for index, plan in plans[rank::world]:  # the shards `extract` gives this process
        tokenized, _ = tokenize_texts(tokenizer, [r.text for r in index.records(plan.first, plan.last)])
        groups.append([s for i, t in enumerate(tokenized) for s in builder.segments(i, t)])
    return groups, tokenizer


def nonempty_splits(prepared: Path) -> tuple[str, ...]:
    """The prepared splits that have records (a tiny corpus can leave val or test empty)."""
    return tuple(split for split, path in split_files(prepared).items() if path.stat().st_size > 0)


def peak_rss_of_extract(prepared: Path, model: str, gguf_file: str | None, out: Path, batch_tokens: int,
                        dtype: str, layers: str, context: str) -> int:
    """Peak resident memory (bytes) of a fresh process running `cli.py extract` on `prepared`."""
    argv = ["cli.py", "extract", "--data", str(prepared), "--model", model, "--out", str(out), "--layers", layers,
            "--context", context, "--batch-tokens", str(batch_tokens), "--dtype", dtype, "--overwrite", "--quiet"]
    argv += ["--gguf-file", gguf_file] if gguf_file else []
    code = (f"import resource, runpy, sys; sys.argv = {argv!r}\n"
            "try:\n    runpy.run_path('cli.py', run_name='__main__')\nexcept SystemExit as e:\n"
            "    assert not e.code, e.code\n"
            "print('PEAK_RSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True)
    line = [l for l in done.stdout.splitlines() if l.startswith("PEAK_RSS_KB")][-1]
    return int(line.split()[1]) * 1024


def default_dtypes(device: torch.device) -> list[str]:
    """bf16 on GPUs; float32 on CPUs, and bf16 beside it where the CPU has bf16 instructions."""
    if device.type == "cuda":
        return ["bfloat16" if torch.cuda.is_bf16_supported() else "float16"]
    features = cpu_features()
    return ["float32"] + (["bfloat16"] if cpu_has_native_bf16() or features["avx512_bf16"] else [])


def summed(state, values: list[float], maxima: list[float]) -> tuple[list[float], list[float]]:
    """Across processes: `values` summed, `maxima` maxed (one process: unchanged)."""
    if state is None:
        return values, maxima
    import torch.distributed as dist

    total = torch.tensor(values, dtype=torch.float64, device=state.device)
    peak = torch.tensor(maxima, dtype=torch.float64, device=state.device)
    dist.all_reduce(total, op=dist.ReduceOp.SUM)
    dist.all_reduce(peak, op=dist.ReduceOp.MAX)
    return total.tolist(), peak.tolist()


def free_memory(device: torch.device) -> None:
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def measure(model: str, gguf_file: str | None, prepared: Path, workdir: Path, dtype: str, quantize: str | None,
            layer_sets: list[str], contexts: list[str], batch_tokens: int, max_length: int, repeats: int,
            rank: int, world: int, state, device: torch.device, log) -> list[Figures]:
    """Every (layers, context) cell for one dtype: bare forwards first (one load), then extract runs."""
    net, compute_dtype, input_device = load_model(model, gguf_file, dtype, quantize, device)
    label = str(compute_dtype).replace("torch.", "") + ("+" + quantize if quantize else "")
    num_layers = net.config.get_text_config().num_hidden_layers
    cells = []
    warmed = False
    for context in contexts:
        fmt = InputFormat(max_length, 128, context)
        groups, tokenizer = segments_of(prepared, model, gguf_file, fmt, ExtractConfig.shard_tokens, rank, world)
        pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        if not warmed:  # kernels load on first use; extract runs later in this process find them loaded
            bare_forward_seconds(net, [groups[0][:1]], batch_tokens, pad_id, input_device)
            warmed = True
        for layers in layer_sets:
            depth = decoder_depth(net, resolve_layers(layers, num_layers))
            free_memory(input_device)
            bare = min(bare_forward_seconds(net, groups, batch_tokens, pad_id, input_device, depth)
                       for _ in range(repeats))
            peak_bare = torch.cuda.max_memory_allocated(input_device) / 2**20 if input_device.type == "cuda" else None
            cells.append((context, layers, depth, bare, peak_bare, sum(len(g) for g in groups) * max_length))
    del net
    free_memory(input_device)

    figures = []
    for context, layers, depth, bare, peak_bare, fixed_positions in cells:
        config = ExtractConfig(data=prepared, out=workdir / f"cache-{label}-{context}-{layers}", model=model,
                               gguf_file=gguf_file, dtype=dtype, layers=layers, context=context,
                               max_length=max_length, batch_tokens=batch_tokens, quantize=quantize,
                               splits=nonempty_splits(prepared), overwrite=True, progress=False)
        runs = []
        for _ in range(repeats):
            runs.append(run_extract(config))
            free_memory(input_device)
        best = min(runs, key=lambda r: r.compute_seconds)
        (tokens, positions, real, fixed), (extract_seconds, bare_seconds, peak_extract, peak) = summed(
            state, [best.tokens, best.positions, best.real_positions, fixed_positions],
            [best.compute_seconds, bare, (best.peak_gpu_bytes or 0) / 2**20, peak_bare or 0.0])
        on_gpu = input_device.type == "cuda"
        cell = Figures(label, layers, context, depth, int(tokens), int(positions), extract_seconds, bare_seconds,
                       real / positions if positions else 1.0, fixed / positions if positions else 1.0,
                       peak_extract if on_gpu else None, peak if on_gpu else None)
        figures.append(cell)
        log(f"{cell.dtype:>14} | {layers:>7} | {context:>5} | {depth:>6} | {cell.extract_tokens_per_s:>13,.0f} | "
            f"{cell.bare_tokens_per_s:>10,.0f} | {cell.ratio:5.3f} | {cell.padding_efficiency:7.3f} | "
            f"{'-' if cell.peak_gpu_mb_extract is None else f'{cell.peak_gpu_mb_extract:,.0f}':>12}")
    return figures


@click.command()
@click.option("--backbone", type=click.Choice(["tiny", "smollm2"]), default="tiny", show_default=True,
              help="An embedded backbone to measure (ignored with --config).")
@click.option("--config", "config_name", type=click.Choice(sorted(CONFIGS)),
              help="A published model shape instead (needs --random-weights: nothing is downloaded).")
@click.option("--random-weights", is_flag=True, help="Build --config with random weights into --workdir.")
@click.option("--num-layers", type=int, help="Override the depth of --config (e.g. 2 for a quick CPU run).")
@click.option("--n", "n_per_language", type=int, default=300, show_default=True, help="Texts per language (1x corpus).")
@click.option("--layers", "layer_sets", multiple=True, help="Layers to cache, repeatable  [default: 0.5 and 0.5,-1]")
@click.option("--context", "contexts", type=click.Choice(["plain", "echo"]), multiple=True,
              help="Extraction context, repeatable  [default: plain and echo]")
@click.option("--dtype", "dtypes", type=click.Choice(["float32", "bfloat16", "float16"]), multiple=True,
              help="Compute dtypes, repeatable  [default: bf16 on a GPU; float32, and bf16 where the CPU has bf16 "
                   "instructions]")
@click.option("--quantize", type=click.Choice(["int8"]), help="Also measure int8 Linear layers (CPU, float32 rest).")
@click.option("--batch-tokens", type=int, help="Padded positions per forward pass  [default: 2048 on CPU, 8192 on GPU]")
@click.option("--max-length", type=int, default=512, show_default=True, help="Positions per model input.")
@click.option("--repeats", type=int, default=2, show_default=True, help="Best of this many runs on each side.")
@click.option("--workdir", type=click.Path(path_type=Path), default=Path("/tmp/bench-extract"), show_default=True,
              help="Scratch folder (random-weight models are kept there for the next run).")
@click.option("--skip-rss", is_flag=True, help="Skip the 1x / 4x peak-memory runs (always skipped with --config).")
@click.option("--json-out", type=click.Path(path_type=Path), help="Also write the figures to this JSON file.")
def main(backbone, config_name, random_weights, num_layers, n_per_language, layer_sets, contexts, dtypes, quantize,
         batch_tokens, max_length, repeats, workdir, skip_rss, json_out):
    """Example: python benchmarks/extract_throughput.py --backbone smollm2 --n 300 --layers 0.5 --context echo"""
    rank, world, state = distributed_state()
    device = state.device if state is not None else torch.device("cuda" if torch.cuda.is_available() else "cpu")
    log = print if rank == 0 else (lambda *_: None)
    workdir.mkdir(parents=True, exist_ok=True)
    if config_name:
        if not random_weights:
            raise click.UsageError("--config builds the model's shape only: pass --random-weights (nothing is downloaded)")
        folder = workdir / f"{config_name}-{num_layers or 'all'}-layers"
        if rank == 0:  # stored in bf16 (half the disk), computed in each --dtype
            random_weights_model(folder, config_name, num_layers, "bfloat16", device=str(device))
        if state is not None:
            state.wait_for_everyone()
        model, gguf_file, name = str(folder), None, f"{config_name} (random weights)"
    else:
        if num_layers or random_weights:
            raise click.UsageError("--num-layers and --random-weights go with --config")
        model, gguf_file = backbone_source(backbone, workdir)
        name = backbone
    if quantize and device.type != "cpu":
        raise click.UsageError("--quantize int8 runs on CPU only")
    prepared = synthetic_prepared(workdir, n_per_language, n_per_language) if rank == 0 else None
    if state is not None:
        state.wait_for_everyone()
        prepared = synthetic_prepared(workdir, n_per_language, n_per_language)  # made by process 0
    layer_sets = list(layer_sets) or ["0.5", "0.5,-1"]
    contexts = list(contexts) or ["plain", "echo"]
    batch_tokens = batch_tokens or (8192 if device.type == "cuda" else 2048)
    variants = [(dtype, None) for dtype in (list(dtypes) or default_dtypes(device))]
    if quantize:
        variants.append(("float32", quantize))

    log(f"machine: {machine()}; {world} process(es)")
    log(f"backbone {name}; corpus {2 * n_per_language} synthetic texts; batch {batch_tokens} positions; best of "
        f"{repeats}")
    log(f"{'dtype':>14} | {'layers':>7} | {'ctx':>5} | {'blocks':>6} | {'extract tok/s':>13} | {'bare tok/s':>10} | "
        f"ratio | padding | peak GPU MB")
    figures = []
    for dtype, quantized in variants:
        figures += measure(model, gguf_file, prepared, workdir, dtype, quantized, layer_sets, contexts, batch_tokens,
                           max_length, repeats, rank, world, state, device, log)
    log("ratio = extract tokens/s / bare forward tokens/s on the same batches and blocks (target >= 0.9); padding = "
        f"real / computed positions (padding every input to {max_length} would compute "
        f"{figures[0].fixed_over_bucketed:.2f}x ours, first row)")
    result = {"machine": machine(), "cpu_features": cpu_features(), "backbone": name, "processes": world,
              "texts": 2 * n_per_language, "batch_tokens": batch_tokens, "runs": [f.to_json() for f in figures]}
    bad = [f for f in figures if not (math.isfinite(f.ratio) and f.ratio > 0)]
    if bad:
        raise click.ClickException(f"non-finite or zero ratios in {[(f.dtype, f.layers, f.context) for f in bad]}")

    if not (skip_rss or config_name) and rank == 0:
        big = synthetic_prepared(workdir, 4 * n_per_language, 4 * n_per_language, seed=43)
        dtype, layers, context = variants[0][0], layer_sets[0], contexts[0]
        small_rss = peak_rss_of_extract(prepared, model, gguf_file, workdir / "rss-1x", batch_tokens, dtype, layers,
                                        context)
        big_rss = peak_rss_of_extract(big, model, gguf_file, workdir / "rss-4x", batch_tokens, dtype, layers, context)
        log(f"peak RSS ({dtype}, layers {layers}, {context}) 1x corpus {small_rss / 2**20:,.0f} MB, 4x corpus "
            f"{big_rss / 2**20:,.0f} MB -> ratio {big_rss / small_rss:.2f} (should stay near 1)")
        result.update(rss_1x_mb=small_rss / 2**20, rss_4x_mb=big_rss / 2**20, rss_ratio=big_rss / small_rss)
    if rank == 0:
        print(json.dumps(result))
        if json_out:
            json_out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
