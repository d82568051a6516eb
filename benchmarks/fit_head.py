"""`fit-head` against a plain torch loop, 8 fused trials against 8 runs, scikit-learn, and the older
workflow's cost of an epoch (a forward pass of the backbone).

Two data sets, each measured side by side in one run: real cached features (SmolLM2 on the demo
corpus, or any --cache) and random features shaped like Mistral-7B's (D=4096, 200k tokens).
Run: python benchmarks/fit_head.py --cache demo-work/cache
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
import numpy as np
import torch

from common import bare_forward_seconds, load_model, machine

from evaluation.spans import score_corpus
from extract.cache_reader import CacheReader, SplitData
from extract.tokens import InputFormat, SegmentBuilder, load_tokenizer, tokenize_texts
from head.data import FeatureSpec, InMemoryBatches, Standardizer
from head.decoding import labels_to_spans, viterbi
from head.model import Hyperparameters, Trial, train_trials

LRS8 = (1e-3, 3e-3, 1e-2, 3e-2)
WDS8 = (0.0, 0.01)


def plain_torch_epoch(x: torch.Tensor, y: torch.Tensor, n_classes: int, batch: int, seed: int) -> float:
    """Seconds for one epoch of the textbook loop: Dropout -> Linear, cross-entropy, AdamW, clipping."""
    torch.manual_seed(seed)
    head = torch.nn.Sequential(torch.nn.Dropout(0.1), torch.nn.Linear(x.shape[1], n_classes))
    optimizer = torch.optim.AdamW(head.parameters(), lr=1e-3, weight_decay=0.01)
    started = time.perf_counter()
    for rows in torch.randperm(len(y)).split(batch):
        loss = torch.nn.functional.cross_entropy(head(x[rows]), y[rows])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(head.parameters(), 1.0)
        optimizer.step()
    return time.perf_counter() - started


def our_epoch_seconds(data: SplitData, trials: list[Trial], n_classes: int, batch: int, epochs: int = 2) -> float:
    """Mean training seconds per epoch of `train_trials` (no validation), all trials together."""
    width = data.features.shape[1]
    standardizer = Standardizer.identity(width)  # the data given is already standardized
    batches = InMemoryBatches(data, FeatureSpec([0]), standardizer, batch, 42, torch.device("cpu"))
    results = train_trials(batches, None, width, n_classes, trials, Hyperparameters(epochs=epochs, batch_tokens=batch),
                           progress=False)
    return float(np.mean([p["train_seconds"] for p in results[0].curve]))


def span_f1(reader_split: SplitData, labels: np.ndarray, scheme) -> float:
    spans = labels_to_spans([r.text for r in reader_split.records], reader_split.offsets, reader_split.ptr, labels,
                            scheme)
    return score_corpus([list(r.spans) for r in reader_split.records], spans, "strict").total.f1


def decoded_f1(split: SplitData, log_probs: np.ndarray, scheme) -> tuple[float, float]:
    """Strict span F1 with greedy and with Viterbi decoding of the same scores."""
    return (span_f1(split, log_probs.argmax(1), scheme),
            span_f1(split, viterbi(log_probs.astype(np.float32), split.ptr, scheme), scheme))


def compare(name: str, data: SplitData, n_classes: int, batch: int) -> dict:
    x = torch.from_numpy(data.features)
    y = torch.from_numpy(data.labels)
    plain_torch_epoch(x[:batch * 2], y[:batch * 2], n_classes, batch, 0)  # warm-up
    plain = float(np.mean([plain_torch_epoch(x, y, n_classes, batch, s) for s in range(2)]))
    ours = our_epoch_seconds(data, [Trial(1e-3, 0.01)], n_classes, batch)
    grid = [Trial(lr, wd) for lr in LRS8 for wd in WDS8]
    together = our_epoch_seconds(data, grid, n_classes, batch)
    figures = {"data": name, "tokens": len(y), "width": x.shape[1], "plain_epoch_s": plain, "ours_epoch_s": ours,
               "epoch_ratio": ours / plain, "eight_together_s": together, "eight_separate_s": 8 * ours,
               "eight_ratio": together / (8 * ours)}
    print(f"[{name}] {len(y):,} tokens x {x.shape[1]} features")
    print(f"  one epoch: ours {ours:.2f}s, plain torch loop {plain:.2f}s -> ratio {ours / plain:.2f} (target <= 1.2)")
    print(f"  8 trials together {together:.2f}s per epoch, 8 separate runs {8 * ours:.2f}s -> ratio "
          f"{together / (8 * ours):.2f} (target < 0.35)")
    return figures


@click.command()
@click.option("--cache", type=click.Path(path_type=Path), help="A cache of real features (e.g. demo-work/cache).")
@click.option("--mistral-tokens", type=int, default=200_000, show_default=True, help="Tokens of the random set.")
@click.option("--mistral-dim", type=int, default=4096, show_default=True, help="Feature width of the random set.")
@click.option("--batch-tokens", type=int, default=4096, show_default=True, help="Tokens per step.")
@click.option("--sklearn-iter", type=int, default=300, show_default=True, help="LogisticRegression max_iter.")
def main(cache, mistral_tokens, mistral_dim, batch_tokens, sklearn_iter):
    """Example: python benchmarks/fit_head.py --cache demo-work/cache"""
    print(f"machine: {machine()}")
    figures = {"machine": machine()}
    if cache:
        reader = CacheReader(cache)
        layers = reader.layers
        train = reader.read_split("train", layers)
        val = reader.read_split("val", layers)
        standardizer = Standardizer.fit(iter([train.features]))
        for split in (train, val):
            split.features = standardizer.apply_(torch.from_numpy(split.features)).numpy()
        n_classes = len(reader.scheme.labels)
        figures["real"] = compare(f"{reader.fingerprint['backbone']['name_or_path'].split('/')[-1]} layers {layers}",
                                  train, n_classes, batch_tokens)

        # Against scikit-learn on the same standardized features: strict span F1 (greedy argmax,
        # the same decoding for both) and time to a model. Ours: one trial, default settings but
        # lr 3e-2 (the demo's best), no validation; sklearn: its default max_iter and converged.
        from sklearn.linear_model import LogisticRegression

        started = time.perf_counter()
        batches = InMemoryBatches(train, FeatureSpec([0]), Standardizer.identity(train.features.shape[1]),
                                  batch_tokens, 42, torch.device("cpu"))
        result = train_trials(batches, None, train.features.shape[1], n_classes, [Trial(3e-2, 0.01)],
                              Hyperparameters(epochs=20, batch_tokens=batch_tokens), progress=False)[0]
        ours_seconds = time.perf_counter() - started
        logits = torch.from_numpy(val.features @ result.weight.T + result.bias)
        ours_f1, ours_viterbi = decoded_f1(val, torch.log_softmax(logits, 1).numpy(), reader.scheme)
        print(f"  vs scikit-learn LogisticRegression, strict span F1 greedy / Viterbi: ours {ours_f1:.4f} / "
              f"{ours_viterbi:.4f} in {ours_seconds:.1f}s (20 epochs, lr 3e-2, dropout 0.1)")
        figures["sklearn"] = {"ours_f1": ours_f1, "ours_viterbi_f1": ours_viterbi, "ours_s": ours_seconds}
        for max_iter in (100, sklearn_iter):
            started = time.perf_counter()
            logistic = LogisticRegression(max_iter=max_iter).fit(train.features, train.labels)
            seconds = time.perf_counter() - started
            f1, viterbi_f1 = decoded_f1(val, logistic.predict_log_proba(val.features), reader.scheme)
            print(f"    sklearn max_iter={max_iter}: {f1:.4f} / {viterbi_f1:.4f} in {seconds:.1f}s "
                  f"({logistic.n_iter_[0]} iterations)")
            figures["sklearn"][f"max_iter_{max_iter}"] = {"f1": f1, "viterbi_f1": viterbi_f1, "seconds": seconds,
                                                          "iterations": int(logistic.n_iter_[0])}

        # The older workflow ran the backbone inside every epoch: one forward pass over the same tokens.
        backbone = reader.fingerprint["backbone"]
        model, gguf = backbone["name_or_path"], backbone.get("gguf_file")
        tokenizer = load_tokenizer(model, gguf_file=gguf)
        builder = SegmentBuilder(tokenizer, InputFormat.from_json(reader.fingerprint["input_format"]))
        tokenized, _ = tokenize_texts(tokenizer, [r.text for r in train.records])
        segments = [s for i, t in enumerate(tokenized) for s in builder.segments(i, t)]
        net, _, device = load_model(model, gguf)
        forward = bare_forward_seconds(net, [segments], 2048, tokenizer.pad_token_id or 0, device)
        ours_epoch = figures["real"]["ours_epoch_s"]
        print(f"  older workflow: one epoch = one backbone forward over the train tokens, {forward:.1f}s here; "
              f"a fit-head epoch {ours_epoch:.2f}s -> ratio {ours_epoch / forward:.4f}")
        figures["older_workflow"] = {"forward_s": forward, "fit_epoch_s": ours_epoch, "ratio": ours_epoch / forward}

    generator = torch.Generator().manual_seed(0)
    features = torch.randn(mistral_tokens, mistral_dim, generator=generator).numpy()
    labels = torch.randint(0, 57, (mistral_tokens,), generator=generator).numpy()
    ptr = np.array([0, mistral_tokens])
    random_data = SplitData(features, labels, ptr, np.zeros((mistral_tokens, 2), np.int64),
                            np.zeros(mistral_tokens, np.int64), [])
    figures["mistral_shaped"] = compare(f"random, Mistral-7B-shaped", random_data, 57, batch_tokens)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
