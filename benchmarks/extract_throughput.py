"""`extract` against a bare forward pass, fixed padding against bucketing, and peak memory.

Prints, from one run: extract tokens/s ÷ bare forward tokens/s on the same batches (target
>= 0.9); positions computed with the older workflow's padding to --max-length ÷ ours; and
peak RSS of extract on 1x and 4x the corpus (must not grow with it).
Run: python benchmarks/extract_throughput.py --backbone tiny   (or smollm2)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click

from common import backbone_source, bare_forward_seconds, load_model, machine, synthetic_prepared

from extract.cache_writer import plan_shards
from extract.extractor import ExtractConfig, index_split, read_label_scheme, run_extract, split_files
from extract.tokens import InputFormat, SegmentBuilder, load_tokenizer, tokenize_texts

ROOT = Path(__file__).resolve().parents[1]


def segments_of(prepared: Path, model: str, gguf_file: str | None, fmt: InputFormat, shard_tokens: int):
    """The model inputs extract will build for the corpus, grouped by shard as extract batches them."""
    tokenizer = load_tokenizer(model, gguf_file=gguf_file)
    scheme = read_label_scheme(prepared)
    builder = SegmentBuilder(tokenizer, fmt)
    groups = []
    for split, path in split_files(prepared).items():
        index = index_split(path, tokenizer, scheme)
        for plan in plan_shards(split, index.token_counts.tolist(), shard_tokens):
            tokenized, _ = tokenize_texts(tokenizer, [r.text for r in index.records(plan.first, plan.last)])
            groups.append([s for i, t in enumerate(tokenized) for s in builder.segments(i, t)])
    return groups, tokenizer


def peak_rss_of_extract(prepared: Path, model: str, gguf_file: str | None, out: Path, batch_tokens: int,
                        dtype: str = "auto") -> int:
    """Peak resident memory (bytes) of a fresh process running `cli.py extract` on `prepared`."""
    argv = ["cli.py", "extract", "--data", str(prepared), "--model", model, "--out", str(out),
            "--batch-tokens", str(batch_tokens), "--dtype", dtype, "--overwrite", "--quiet"] + (["--gguf-file", gguf_file] if gguf_file else [])
    code = (f"import resource, runpy, sys; sys.argv = {argv!r}\n"
            "try:\n    runpy.run_path('cli.py', run_name='__main__')\nexcept SystemExit as e:\n"
            "    assert not e.code, e.code\n"
            "print('PEAK_RSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True)
    line = [l for l in done.stdout.splitlines() if l.startswith("PEAK_RSS_KB")][-1]
    return int(line.split()[1]) * 1024


@click.command()
@click.option("--backbone", type=click.Choice(["tiny", "smollm2"]), default="tiny", show_default=True,
              help="Which embedded backbone to measure.")
@click.option("--n", "n_per_language", type=int, default=300, show_default=True, help="Texts per language (1x corpus).")
@click.option("--batch-tokens", type=int, default=2048, show_default=True, help="Padded positions per forward pass.")
@click.option("--workdir", type=click.Path(path_type=Path), default=Path("/tmp/bench-extract"), show_default=True,
              help="Scratch folder.")
@click.option("--skip-rss", is_flag=True, help="Skip the 1x / 4x peak-memory runs.")
@click.option("--dtype", default="auto", show_default=True, help="Compute dtype of every run.")
def main(backbone, n_per_language, batch_tokens, workdir, skip_rss, dtype):
    """Example: python benchmarks/extract_throughput.py --backbone smollm2 --n 300"""
    workdir.mkdir(parents=True, exist_ok=True)
    model, gguf_file = backbone_source(backbone, workdir)
    prepared = synthetic_prepared(workdir, n_per_language, n_per_language)
    fmt = InputFormat(512, 128, "plain")
    config = ExtractConfig(data=prepared, out=workdir / "cache", model=model, gguf_file=gguf_file,
                           batch_tokens=batch_tokens, dtype=dtype, overwrite=True, progress=False)
    groups, tokenizer = segments_of(prepared, model, gguf_file, fmt, config.shard_tokens)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0

    # 1. extract vs a bare forward pass of the same model on the same batches (default layers:
    #    the middle and the last, so both run the whole model).
    # Best of two on both sides: the first pass over new batch shapes also pays for kernel set-up.
    net, compute_dtype, device = load_model(model, gguf_file, dtype)
    bare = min(bare_forward_seconds(net, groups, batch_tokens, pad_id, device) for _ in range(2))
    del net
    runs = [run_extract(config) for _ in range(2)]
    result = min(runs, key=lambda r: r.compute_seconds)
    stored = result.tokens
    ratio = (stored / result.compute_seconds) / (stored / bare)
    # 2. compute saved by bucketing: the older workflow padded every input to max_length.
    fixed_positions = sum(len(group) for group in groups) * fmt.max_length
    print(f"machine: {machine()}; backbone {backbone} ({compute_dtype}); corpus {2 * n_per_language} texts, "
          f"{stored} tokens")
    print(f"extract {stored / result.compute_seconds:,.0f} tokens/s, bare forward {stored / bare:,.0f} tokens/s "
          f"-> ratio {ratio:.3f} (target >= 0.9)")
    print(f"padding efficiency {result.padding_efficiency:.3f}; positions with padding to {fmt.max_length} / ours = "
          f"{fixed_positions:,} / {result.positions:,} = {fixed_positions / result.positions:.2f}x")
    figures = {"backbone": backbone, "dtype": str(compute_dtype), "tokens": stored, "extract_tokens_per_s":
               stored / result.compute_seconds, "bare_tokens_per_s": stored / bare, "ratio": ratio,
               "padding_efficiency": result.padding_efficiency, "fixed_over_bucketed": fixed_positions / result.positions,
               "machine": machine()}

    # 3. peak RSS on 1x and 4x the corpus, each in a fresh process.
    if not skip_rss:
        big = synthetic_prepared(workdir, 4 * n_per_language, 4 * n_per_language, seed=43)
        small_rss = peak_rss_of_extract(prepared, model, gguf_file, workdir / "rss-1x", batch_tokens, dtype)
        big_rss = peak_rss_of_extract(big, model, gguf_file, workdir / "rss-4x", batch_tokens, dtype)
        print(f"peak RSS 1x corpus {small_rss / 2**20:,.0f} MB, 4x corpus {big_rss / 2**20:,.0f} MB "
              f"-> ratio {big_rss / small_rss:.2f} (should stay near 1)")
        figures.update(rss_1x_mb=small_rss / 2**20, rss_4x_mb=big_rss / 2**20, rss_ratio=big_rss / small_rss)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
