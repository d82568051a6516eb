"""`fit-head` against a plain torch loop, 8 fused trials against 8 separate runs (both timed),
scikit-learn, an epoch of training through the backbone (a plain forward pass), and streaming memory at Mistral scale.

Data: real cached features (--cache), random features shaped like Mistral-7B's (D=4096, 200k
tokens, in memory), and a random 2-layer Mistral-shaped cache written by the real cache writer
and trained in streaming mode in a fresh process, whose peak RSS is reported.
Run: python benchmarks/fit_head.py --cache demo-work/cache
Small form (two minutes): python benchmarks/fit_head.py --mistral-tokens 20000 --stream-tokens 20000 \
    --stream-shard-tokens 2048 --stream-max-memory 64MB
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import click
import numpy as np
import torch

from common import bare_forward_seconds, load_model, machine

from extract.span_metrics import score_corpus
from extract.cache_format import pointer_from_lengths
from extract.cache_reader import CacheReader, SplitData
from extract.cache_writer import CacheWriter, ShardBuffer, plan_shards
from extract.extractor import ExtractConfig
from extract.files import folder_bytes, parse_bytes
from extract.labels import IGNORE_LABEL, LabelScheme, decode
from extract.records import Record
from extract.tokens import InputFormat, SegmentBuilder, load_tokenizer, tokenize_texts
from head.configs import Hyperparameters
from head.data import FeatureSpec, InMemoryBatches, Standardizer
from head.decoding import labels_to_spans, viterbi
from head.trainer import Trial, train_trials

LRS8 = (1e-3, 3e-3, 1e-2, 3e-2)
WDS8 = (0.0, 0.01)
MISTRAL = {"hidden_size": 4096, "num_layers": 32}  # Mistral-7B-v0.1's published configuration
N_TYPES = 28  # entity types of the demo's label set: 57 BIO labels


def plain_torch_epoch(x: torch.Tensor, y: torch.Tensor, n_classes: int, batch: int, seed: int) -> float:
    """Seconds for one epoch of the textbook loop: Dropout -> Linear, cross-entropy, AdamW, clipping."""
    torch.manual_seed(seed)
    head = torch.nn.Sequential(torch.nn.Dropout(0.1), torch.nn.Linear(x.shape[1], n_classes))
    optimizer = torch.optim.AdamW(head.parameters(), lr=1e-3, weight_decay=0.01)
    started = time.perf_counter()
    for rows in torch.randperm(len(y)).split(batch):
        loss = torch.nn.functional.cross_entropy(head(x[rows]), y[rows], ignore_index=IGNORE_LABEL)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(head.parameters(), 1.0)
        optimizer.step()
    return time.perf_counter() - started


def our_epoch_seconds(data: SplitData, trials: list[Trial], n_classes: int, batch: int, epochs: int) -> float:
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


def compare(name: str, data: SplitData, n_classes: int, batch: int, repeats: int) -> dict:
    """Seconds per epoch: plain loop, one trial, 8 trials together, and 8 separate runs, each timed.

    Every measurement is one epoch, all of them interleaved `repeats` times, and the fastest of
    each kept: on a shared machine, load that comes and goes then hits every side alike.
    """
    x = torch.from_numpy(data.features)
    y = torch.from_numpy(data.labels)
    plain_torch_epoch(x[:batch * 2], y[:batch * 2], n_classes, batch, 0)  # warm-up
    grid = [Trial(lr, wd) for lr in LRS8 for wd in WDS8]
    times: dict[str, list[float]] = {}
    for repeat in range(repeats):
        times.setdefault("plain", []).append(plain_torch_epoch(x, y, n_classes, batch, repeat))
        times.setdefault("ours", []).append(our_epoch_seconds(data, [Trial(1e-3, 0.01)], n_classes, batch, 1))
        times.setdefault("together", []).append(our_epoch_seconds(data, grid, n_classes, batch, 1))
        for k, trial in enumerate(grid):  # 8 real runs, one after the other
            times.setdefault(f"separate {k}", []).append(our_epoch_seconds(data, [trial], n_classes, batch, 1))
    best = {key: min(values) for key, values in times.items()}
    plain, ours, together = best["plain"], best["ours"], best["together"]
    separate = [best[f"separate {k}"] for k in range(len(grid))]
    figures = {"data": name, "tokens": len(y), "width": x.shape[1], "repeats": repeats, "plain_epoch_s": plain,
               "ours_epoch_s": ours, "epoch_ratio": ours / plain, "eight_together_s": together,
               "eight_separate_s": sum(separate), "eight_separate_each_s": separate,
               "eight_ratio": together / sum(separate), "all_timings_s": times}
    print(f"[{name}] {len(y):,} tokens x {x.shape[1]} features, fastest of {repeats} interleaved epochs each")
    print(f"  one epoch: ours {ours:.2f}s, plain torch loop {plain:.2f}s -> ratio {ours / plain:.2f}")
    print(f"  8 trials together {together:.2f}s per epoch, 8 separate runs (each timed) {sum(separate):.2f}s -> "
          f"ratio {together / sum(separate):.2f}")
    return figures


def backbone_epoch_forward(reader: CacheReader, train: SplitData) -> float:
    """Seconds of one backbone forward over the train texts with plain context: the least an epoch costs
    when the backbone runs inside training (a frozen-backbone fine-tuning), before any backward pass.

    Plain whatever the cache used: such training never reads a text twice (echo).
    """
    backbone = reader.fingerprint["backbone"]
    model, gguf = backbone["name_or_path"], backbone.get("gguf_file")
    tokenizer = load_tokenizer(model, gguf_file=gguf)
    cached = InputFormat.from_json(reader.fingerprint["input_format"])
    builder = SegmentBuilder(tokenizer, InputFormat(cached.max_length, cached.stride, "plain"))
    tokenized, _ = tokenize_texts(tokenizer, [r.text for r in train.records])
    segments = [s for i, t in enumerate(tokenized) for s in builder.segments(i, t)]
    net, _, device = load_model(model, gguf)
    return bare_forward_seconds(net, [segments], 2048, tokenizer.pad_token_id or 0, device)


# --- a random Mistral-shaped cache through the real writer, and a streaming fit-head on it -------


def random_mistral_cache(out: Path, tokens: int, layers=(16, 32), val_share: float = 0.1,
                         tokens_per_text: int = 129, shard_tokens: int = ExtractConfig.shard_tokens,
                         seed: int = 0) -> Path:
    """A complete cache of random float16 features, 2 layers of Mistral-7B's width, written by
    `CacheWriter` (so `CacheReader` and `fit-head` accept it). Texts are "tok tok ...", one word
    per token, with random labels (80% O) and the gold spans those labels decode to; features
    are noise plus a small per-label offset, so a head has something to learn."""
    scheme = LabelScheme("bio", tuple(f"TYPE{i:02d}" for i in range(N_TYPES)))
    n_labels = len(scheme.labels)
    hidden = MISTRAL["hidden_size"]
    rng = np.random.default_rng(seed)
    centroids = (rng.standard_normal((n_labels, hidden)) * 0.3).astype(np.float32)  # [C, H]
    layer_list = sorted(layers)
    fingerprint = {
        "backbone": {"name_or_path": "random-mistral-7b-shaped", "gguf_file": None, "revision": None, "commit": None,
                     "weights": {"sha256": f"random-seed-{seed}", "source": "benchmark"}, "model_type": "mistral",
                     **MISTRAL, "compute_dtype": "bfloat16"},
        "tokenizer": {"name": "none", "class": "none", "vocab_size": 32000, "sha256": "none"},
        "input_format": InputFormat().to_json(),
        "layers": layer_list,
        "feature_dtype": "float16",
        "labels": scheme.to_json(),
        "data": {"train": f"random-{tokens}-{seed}", "val": f"random-{tokens}-{seed}"},
        "shard_tokens": shard_tokens,
    }
    val_tokens = max(tokens_per_text, int(tokens * val_share))
    sizes = {"train": tokens - val_tokens, "val": val_tokens}
    lengths = {split: [tokens_per_text] * (n // tokens_per_text) + ([n % tokens_per_text] if n % tokens_per_text else [])
               for split, n in sizes.items()}
    plans = {split: plan_shards(split, lengths[split], shard_tokens) for split in sizes}
    split_info = {split: {"examples": len(lengths[split]), "tokens": sizes[split], "languages": {"en": len(lengths[split])}}
                  for split in sizes}
    extra = {"layers": [{"index": layer, "specs": [str(layer)]} for layer in layer_list],
             "created_by": "benchmarks/fit_head.py (random features)"}
    writer = CacheWriter(out, fingerprint, overwrite=True)
    try:
        for split, split_plans in plans.items():
            for plan in split_plans:
                writer.submit(_random_shard(plan, lengths[split][plan.first:plan.last], scheme, centroids, layer_list,
                                            rng))
        writer.wait()
        manifest = writer.write_manifest(plans, split_info, extra)
        writer.finish(manifest["complete"])
    finally:
        writer.close()
    return out


def _random_shard(plan, lengths: list[int], scheme: LabelScheme, centroids: np.ndarray, layers: list[int],
                  rng: np.random.Generator) -> ShardBuffer:
    n = sum(lengths)
    n_labels = len(scheme.labels)
    probabilities = np.full(n_labels, 0.2 / (n_labels - 1))
    probabilities[0] = 0.8
    labels = rng.choice(n_labels, size=n, p=probabilities).astype(np.int16)  # [T]
    ptr = pointer_from_lengths(lengths)
    records, offsets = [], []
    for e, length in enumerate(lengths):
        text = " ".join(["tok"] * length)
        token_offsets = np.stack([np.arange(length) * 4, np.arange(length) * 4 + 3], axis=1)  # [n, 2]
        spans = tuple(decode(text, token_offsets, labels[ptr[e]:ptr[e + 1]], scheme))
        records.append(Record(f"{plan.split}-{plan.first + e}", "en", text, spans))
        offsets.append(token_offsets)
    features = {}
    for layer in layers:
        block = rng.standard_normal((n, centroids.shape[1]), dtype=np.float32)  # [T, H]
        block += centroids[labels]
        features[layer] = block.astype(np.float16)
    return ShardBuffer(plan=plan, records=records, ptr=ptr, ids=np.zeros(n, np.int32), labels=labels,
                       offsets=np.concatenate(offsets).astype(np.int32), features=features,
                       filled=np.ones(n, dtype=bool))


# Run in a fresh process, so its peak RSS is fit-head's alone. VmHWM, not getrusage's ru_maxrss,
# which keeps the parent's peak across fork and exec.
FIT_IN_CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from head.configs import Hyperparameters
from head.fit import FitConfig, fit_head
if sys.argv[2] != "--imports-only":
    started = time.perf_counter()
    result = fit_head(FitConfig(cache=sys.argv[2], out=sys.argv[3], max_memory=sys.argv[4], lrs=(1e-3, 1e-2),
                                hp=Hyperparameters(epochs=int(sys.argv[5])), overwrite=True, progress=False))
    out = {"mode": result.mode, "train_tokens": result.train_tokens, "seconds": time.perf_counter() - started,
           "epoch_seconds": result.epoch_seconds}
else:
    out = {}
with open("/proc/self/status") as status:
    peak = [line for line in status if line.startswith("VmHWM:")][0]
out["peak_rss_bytes"] = int(peak.split()[1]) * 1024  # kB
print("RESULT " + json.dumps(out))
"""


def fit_in_child(*args: str) -> dict:
    root = str(Path(__file__).resolve().parents[1])
    done = subprocess.run([sys.executable, "-c", FIT_IN_CHILD, root, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"fit-head in a child process failed:\n{done.stderr[-3000:]}")
    line = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


def streaming_memory(workdir: Path, tokens: int, shard_tokens: int, max_memory: str, epochs: int, keep: bool) -> dict:
    """Peak RSS of a streaming fit-head on a random 2-layer Mistral-shaped cache of `tokens` tokens."""
    cache = workdir / f"mistral-random-{tokens}"
    started = time.perf_counter()
    random_mistral_cache(cache, tokens, shard_tokens=shard_tokens)
    write_seconds = time.perf_counter() - started
    reader = CacheReader(cache)
    layers = reader.layers
    train_bytes = reader.n_tokens("train") * reader.feature_width(layers) * 4
    val_bytes = reader.n_tokens("val") * reader.feature_width(layers) * 4
    baseline = fit_in_child("--imports-only")
    fitted = fit_in_child(str(cache), str(workdir / "mistral-random-head"), max_memory, str(epochs))
    figures = {"tokens": tokens, "shard_tokens": shard_tokens, "train_tokens": reader.n_tokens("train"), "val_tokens": reader.n_tokens("val"),
               "layers": layers, "cache_bytes": folder_bytes(cache), "write_s": write_seconds,
               "train_float32_bytes": train_bytes, "val_float32_bytes": val_bytes, "max_memory": max_memory,
               "max_memory_bytes": parse_bytes(max_memory), "imports_rss_bytes": baseline["peak_rss_bytes"],
               **fitted}
    gib = 1 << 30
    print(f"[streaming, random Mistral-shaped cache] {tokens:,} tokens x 2 layers x {MISTRAL['hidden_size']} "
          f"({figures['cache_bytes'] / gib:.2f} GiB on disk, train {train_bytes / gib:.2f} GiB in float32, shards of "
          f"{shard_tokens:,} tokens), "
          f"fit-head --max-memory {max_memory}, {epochs} epoch(s), 2 trials")
    print(f"  mode {fitted['mode']}; peak RSS {fitted['peak_rss_bytes'] / gib:.2f} GiB (imports alone "
          f"{baseline['peak_rss_bytes'] / gib:.2f} GiB; val features in memory {val_bytes / gib:.2f} GiB); "
          f"{fitted['seconds']:.0f}s, epochs {', '.join(f'{s:.0f}s' for s in fitted['epoch_seconds'])}")
    if not keep:
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(workdir / "mistral-random-head", ignore_errors=True)
    return figures


def mistral_shaped(tokens: int, dim: int, batch: int, repeats: int) -> dict:
    generator = torch.Generator().manual_seed(0)
    features = torch.randn(tokens, dim, generator=generator).numpy()
    labels = torch.randint(0, 2 * N_TYPES + 1, (tokens,), generator=generator).numpy()
    data = SplitData(features, labels, np.array([0, tokens]), np.zeros((tokens, 2), np.int64),
                     np.zeros(tokens, np.int64), [])
    return compare("random, Mistral-7B-shaped", data, 2 * N_TYPES + 1, batch, repeats)


@click.command()
@click.option("--cache", type=click.Path(path_type=Path), help="A cache of real features (e.g. demo-work/cache).")
@click.option("--mistral-tokens", type=int, default=200_000, show_default=True,
              help="Tokens of the random in-memory set (0: skip).")
@click.option("--mistral-dim", type=int, default=4096, show_default=True, help="Feature width of the random set.")
@click.option("--batch-tokens", type=int, default=4096, show_default=True, help="Tokens per step.")
@click.option("--repeats", type=int, default=3, show_default=True,
              help="Interleaved one-epoch timings of each configuration (the fastest is reported).")
@click.option("--sklearn-iter", type=int, default=300, show_default=True, help="LogisticRegression max_iter.")
@click.option("--stream-tokens", type=int, default=257_000, show_default=True,
              help="Tokens (train + val) of the random 2-layer Mistral-shaped cache trained in streaming mode (0: skip).")
@click.option("--stream-shard-tokens", type=int, default=ExtractConfig.shard_tokens, show_default=True,
              help="Rows per shard of that cache (extract's default; a shard is what streaming reads at least).")
@click.option("--stream-max-memory", default="2GB", show_default=True, help="fit-head --max-memory for that run.")
@click.option("--stream-epochs", type=int, default=1, show_default=True, help="Epochs of that run.")
@click.option("--workdir", type=click.Path(path_type=Path), default=Path("/tmp/bench-fit-head"), show_default=True,
              help="Where the random cache is written (removed afterwards unless --keep).")
@click.option("--keep", is_flag=True, help="Keep the random cache and head.")
def main(cache, mistral_tokens, mistral_dim, batch_tokens, repeats, sklearn_iter, stream_tokens, stream_shard_tokens,
         stream_max_memory, stream_epochs, workdir, keep):
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
                                  train, n_classes, batch_tokens, repeats)

        # Against scikit-learn on the same standardized features: strict span F1 (greedy argmax,
        # the same decoding for both) and time to a model. Ours: one trial, default settings but
        # lr 3e-2, no validation; sklearn: its default max_iter and converged.
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
            labelled = train.labels != IGNORE_LABEL  # tokens without a gold label train nothing
            logistic = LogisticRegression(max_iter=max_iter).fit(train.features[labelled], train.labels[labelled])
            seconds = time.perf_counter() - started
            f1, viterbi_f1 = decoded_f1(val, logistic.predict_log_proba(val.features), reader.scheme)
            print(f"    sklearn max_iter={max_iter}: {f1:.4f} / {viterbi_f1:.4f} in {seconds:.1f}s "
                  f"({logistic.n_iter_[0]} iterations)")
            figures["sklearn"][f"max_iter_{max_iter}"] = {"f1": f1, "viterbi_f1": viterbi_f1, "seconds": seconds,
                                                          "iterations": int(logistic.n_iter_[0])}

        # Training through the backbone runs it in every epoch: at least a plain forward over the same tokens.
        forward = backbone_epoch_forward(reader, train)
        ours_epoch = figures["real"]["ours_epoch_s"]
        print(f"  training through the backbone: one epoch >= one plain-context backbone forward over the train texts, {forward:.1f}s "
              f"here; a fit-head epoch {ours_epoch:.2f}s -> ratio {ours_epoch / forward:.4f}")
        figures["backbone_epoch"] = {"context": "plain", "forward_s": forward, "fit_epoch_s": ours_epoch,
                                     "ratio": ours_epoch / forward}
        del train, val

    if mistral_tokens:
        figures["mistral_shaped"] = mistral_shaped(mistral_tokens, mistral_dim, batch_tokens, repeats)
    if stream_tokens:
        workdir.mkdir(parents=True, exist_ok=True)
        figures["mistral_streaming"] = streaming_memory(workdir, stream_tokens, stream_shard_tokens, stream_max_memory,
                                                        stream_epochs, keep)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
