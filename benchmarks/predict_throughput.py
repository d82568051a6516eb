"""`predict` (tokenize, windows, capture, head, decoding, spans, masking) against a bare forward
pass of the same backbone on the same texts and batches. Target: ratio >= 0.85.

Trains a quick head on a small synthetic cache first (the head's quality does not matter here).
Run: python benchmarks/predict_throughput.py --backbone tiny   (or smollm2)
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from common import backbone_source, bare_forward_seconds, machine, synthetic_prepared

from extract.extractor import ExtractConfig, run_extract
from extract.records import load_prepared
from extract.tokens import tokenize_texts
from head.configs import Hyperparameters
from head.tagger import Tagger
from head.fit import FitConfig, fit_head


@click.command()
@click.option("--backbone", type=click.Choice(["tiny", "smollm2"]), default="tiny", show_default=True,
              help="Which embedded backbone to measure.")
@click.option("--n", "n_per_language", type=int, default=200, show_default=True, help="Texts per language to tag.")
@click.option("--batch-tokens", type=int, default=2048, show_default=True, help="Padded positions per forward pass.")
@click.option("--workdir", type=click.Path(path_type=Path), default=Path("/tmp/bench-predict"), show_default=True,
              help="Scratch folder.")
def main(backbone, n_per_language, batch_tokens, workdir):
    """Example: python benchmarks/predict_throughput.py --backbone smollm2"""
    workdir.mkdir(parents=True, exist_ok=True)
    model, gguf_file = backbone_source(backbone, workdir)
    small = synthetic_prepared(workdir, 40, 40, seed=1)
    run_extract(ExtractConfig(data=small, out=workdir / "cache", model=model, gguf_file=gguf_file, layers="0.5,-1",
                              overwrite=True, progress=False))
    fit_head(FitConfig(cache=workdir / "cache", out=workdir / "head", lrs=(1e-2,), hp=Hyperparameters(epochs=2),
                       overwrite=True, progress=False))
    texts = [r.text for r in load_prepared(synthetic_prepared(workdir, n_per_language, n_per_language) / "train.jsonl")]

    tagger = Tagger.from_pretrained(workdir / "head", batch_tokens=batch_tokens)
    tokenized, _ = tokenize_texts(tagger.tokenizer, texts)
    tokens = sum(len(t.ids) for t in tokenized)
    segments = [s for i, t in enumerate(tokenized) for s in tagger.builder.segments(i, t)]
    # Best of two on both sides: the first pass over new batch shapes also pays for kernel set-up.
    bare = min(bare_forward_seconds(tagger.model, [segments], batch_tokens, tagger.pad_id, tagger.device)
               for _ in range(2))
    timings = []
    for _ in range(2):
        started = time.perf_counter()
        tagged = tagger.tag(texts)
        timings.append(time.perf_counter() - started)
    ours = min(timings)
    print(f"machine: {machine()}; backbone {backbone}; {len(texts)} texts, {tokens} tokens")
    print(f"predict {len(texts) / ours:,.1f} texts/s, {tokens / ours:,.0f} tokens/s; bare forward "
          f"{tokens / bare:,.0f} tokens/s -> ratio {bare / ours:.3f} (target >= 0.85)")
    print(json.dumps({"backbone": backbone, "texts": len(texts), "tokens": tokens, "predict_s": ours,
                      "bare_s": bare, "ratio": bare / ours, "spans": sum(len(t.spans) for t in tagged),
                      "machine": machine()}))


if __name__ == "__main__":
    main()
