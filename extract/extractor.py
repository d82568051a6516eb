"""`extract`: one pass of the frozen backbone over a prepared dataset into the feature cache.

Texts are tokenized and aligned, cut into windows, batched by token budget in length order
within each shard, and only the requested layers are kept. Re-running resumes a crashed run.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from extract.errors import MissingInputError, PiiTaggerError
from extract.backbone import LayerCapture, load_backbone, load_model_config, resolve_device, \
    resolve_dtype
from extract.configs import FEATURE_DTYPES, ExtractConfig
from extract.cache_writer import CacheWriter, ShardBuffer, ShardPlan, plan_shards, planned_bytes
from extract.files import check_disjoint, check_free_space, folder_bytes, human_bytes, read_json
from extract.forward import forward_batches
from extract.labels import AlignmentStats, LabelScheme
from extract.layers import resolve_layers
from extract.schema import SPLITS
from extract.records import CorpusError, Record, decode_line, parse_line
from extract.tokens import InputFormat, SegmentBuilder, load_tokenizer, tokenize_texts, \
    tokenizer_fingerprint
from extract.weights import local_backbone, weights_identity

FEATURE_NUMPY_DTYPES = {"float16": np.float16, "float32": np.float32}
CLAIM_MESSAGE_BYTES = 4096  # room for process 0's refusal message in a multi-process run


@dataclass
class ExtractResult:
    out: Path
    examples: int = 0  # examples computed by this run (this process)
    tokens: int = 0  # cache rows written by this run
    positions: int = 0  # model positions computed, padding included
    real_positions: int = 0  # model positions that were not padding
    shards_written: int = 0  # by this run (this process)
    shards_skipped: int = 0  # already finished by an earlier run
    seconds: float = 0.0  # whole command, loading included
    compute_seconds: float = 0.0  # the forward passes and shard writes only
    examples_total: int = 0  # in the cache, this run and earlier ones (process 0 only)
    tokens_total: int = 0  # rows in the cache (process 0 only)
    shards_total: int = 0  # shards of the plan, 0 on processes other than 0
    bytes_on_disk: int = 0  # size of the cache folder (process 0 only)
    peak_gpu_bytes: int | None = None  # None without a GPU
    layers: list[int] = field(default_factory=list)  # absolute indices cached
    complete: bool = False  # every planned shard is on disk

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.compute_seconds if self.compute_seconds else 0.0

    @property
    def padding_efficiency(self) -> float:
        return self.real_positions / self.positions if self.positions else 1.0

    def summary(self) -> list[tuple[str, str]]:
        """(name, value) rows for the command's closing summary."""
        rows = [("cache", f"{self.examples_total} examples, {self.tokens_total} tokens, {self.shards_total} shards, "
                          f"layers {self.layers}, {human_bytes(self.bytes_on_disk)} on disk"),
                ("this run", f"{self.shards_written} shards written, {self.shards_skipped} already finished")]
        if self.tokens:
            rows.append(("speed", f"{self.tokens_per_second:,.0f} tokens/s, padding efficiency "
                                  f"{self.padding_efficiency:.1%}, {self.seconds:.1f}s in all"))
        if self.peak_gpu_bytes is not None:
            rows.append(("GPU memory", f"peak {human_bytes(self.peak_gpu_bytes)}"))
        rows.append(("wrote", f"{self.out}/manifest.json ({'complete' if self.complete else 'INCOMPLETE'})"))
        return rows


@dataclass
class SplitIndex:
    """Where each record of a prepared split starts in its file, and how many tokens it has.

    Only these small arrays stay in memory; a shard's records are read back from the file
    when the shard is computed, so memory does not grow with the dataset.
    """

    path: Path
    line_offsets: np.ndarray  # int64 [E], byte offset of each record's line
    token_counts: np.ndarray  # int64 [E], tokens (cache rows) of each record
    sha256: str  # hash of the file's bytes: the data part of the fingerprint
    languages: dict[str, int]
    alignment: AlignmentStats

    def records(self, first: int, last: int) -> list[Record]:
        out = []
        with self.path.open("rb") as handle:
            for number, offset in enumerate(self.line_offsets[first:last], start=first):
                handle.seek(int(offset))
                record, _, _ = parse_line(handle.readline().decode("utf-8"), default_id=str(number),
                                          default_language=None)
                out.append(record)
        return out


def read_label_scheme(folder: Path) -> LabelScheme:
    folder = Path(folder)
    if not folder.is_dir():
        raise MissingInputError(f"`data` {folder}: no such folder (run `cli.py prepare` first)")
    return LabelScheme.from_json(read_json(folder / "label_mappings.json", "label mapping (from `cli.py prepare`)"))


def split_files(folder: Path, splits: tuple[str, ...] = ()) -> dict[str, Path]:
    """The prepared split files to extract: the requested ones, or all that exist."""
    folder = Path(folder)
    present = [s for s in SPLITS if (folder / f"{s}.jsonl").is_file()]
    for split in splits:
        if split not in present:
            raise MissingInputError(f"`data` {folder}: no {split}.jsonl (splits present: {', '.join(present) or 'none'})")
    if not present:
        raise MissingInputError(f"`data` {folder}: no train.jsonl / val.jsonl / test.jsonl (run `cli.py prepare`)")
    return {split: folder / f"{split}.jsonl" for split in (splits or present)}


def index_split(path: Path, tokenizer, scheme: LabelScheme, batch_size: int = 512) -> SplitIndex:
    """One streaming pass: validate records, count their tokens, align labels, hash the file."""
    digest = hashlib.sha256()
    offsets, counts, languages = [], [], {}
    alignment = AlignmentStats()
    pending: list[Record] = []

    def flush():
        tokenized, stats = tokenize_texts(tokenizer, [r.text for r in pending], pending, scheme)
        alignment.merge(stats)
        counts.extend(len(t.ids) for t in tokenized)
        pending.clear()

    with path.open("rb") as handle:
        offset = 0
        for number, raw in enumerate(handle, start=1):
            digest.update(raw)
            line_start, offset = offset, offset + len(raw)
            if not raw.strip():
                continue
            try:
                record, _, _ = parse_line(decode_line(raw), default_id=str(number), default_language=None)
            except ValueError as err:
                raise CorpusError(path, number, str(err)) from None
            unknown = {s.label for s in record.spans} - set(scheme.entity_types)
            if unknown:
                raise CorpusError(path, number, f"labels {sorted(unknown)} are not in label_mappings.json")
            offsets.append(line_start)
            languages[record.language] = languages.get(record.language, 0) + 1
            pending.append(record)
            if len(pending) >= batch_size:
                flush()
    if pending:
        flush()
    if not offsets:
        raise CorpusError(path, None, "no records")
    return SplitIndex(path, np.asarray(offsets, dtype=np.int64), np.asarray(counts, dtype=np.int64),
                      digest.hexdigest(), dict(sorted(languages.items())), alignment)


def model_fingerprint(config: ExtractConfig, device: torch.device) -> dict:
    """Backbone part of the fingerprint from the model's config and a digest of its weight files."""
    model_config = load_model_config(config.backbone())
    text_config = model_config.get_text_config() if hasattr(model_config, "get_text_config") else model_config
    commit = getattr(model_config, "_commit_hash", None)
    weights = weights_identity(config.model, config.gguf_file, commit)  # guard: weights-in-fingerprint
    fingerprint = {
        "name_or_path": config.model,
        "gguf_file": config.gguf_file,
        "revision": config.revision,
        "commit": commit,
        "weights": weights,
        "model_type": getattr(model_config, "model_type", None),
        "hidden_size": int(text_config.hidden_size),
        "num_layers": int(text_config.num_hidden_layers),
        "compute_dtype": str(resolve_dtype(config.dtype, device)).replace("torch.", ""),
        **({"quantize": config.quantize} if config.quantize else {}),  # absent unquantized: older caches stay valid
    }
    return fingerprint


def distributed_state():
    """(rank, world size, accelerate state or None): several processes under `accelerate launch`."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return 0, 1, None
    from accelerate import PartialState

    # On CPU-only machines (tests, laptops) the processes talk over gloo.
    state = PartialState(cpu=not torch.cuda.is_available())
    return state.process_index, state.num_processes, state


def _claim_together(state, rank: int, claim) -> CacheWriter:
    """Process 0 claims (locks and checks) the cache folder; every process learns whether it may go on.

    Without this, a refusal on process 0 would leave the others waiting for it forever.
    """
    if state is None:
        return claim()
    writer, failure = None, b""
    try:
        writer = claim()
    except PiiTaggerError as err:
        failure = str(err).encode("utf-8")[:CLAIM_MESSAGE_BYTES]
    # Process 0's verdict, as UTF-8 bytes in a tensor (no pickling between processes).
    message = torch.zeros(CLAIM_MESSAGE_BYTES, dtype=torch.uint8, device=state.device)
    if failure:
        message[:len(failure)] = torch.frombuffer(bytearray(failure), dtype=torch.uint8)
    torch.distributed.broadcast(message, src=0)
    state.wait_for_everyone()  # the folder is claimed (or refused) before anyone writes
    verdict = bytes(message.cpu().numpy()).rstrip(b"\0").decode("utf-8", errors="replace")
    if verdict:
        if writer is not None:
            writer.close()
        raise PiiTaggerError(verdict)
    return writer


def run_extract(config: ExtractConfig) -> ExtractResult:
    """Extract features for every split into `config.out`; resumes finished shards."""
    started = time.perf_counter()
    rank, world, state = distributed_state()
    if config.feature_dtype not in FEATURE_DTYPES:
        raise PiiTaggerError(f"`feature_dtype`: unknown value {config.feature_dtype!r} (float16 or float32)")
    if config.batch_tokens < 1 or config.shard_tokens < 1:
        raise PiiTaggerError("`batch_tokens` and `shard_tokens` must be positive")
    fmt = InputFormat(config.max_length, config.stride, config.context)
    scheme = read_label_scheme(config.data)
    files = split_files(config.data, config.splits)
    check_disjoint(config.out, [config.data, *local_backbone(config.model)])
    device = state.device if state is not None and config.device == "auto" and not config.device_map \
        else resolve_device(config.device)
    backbone_fp = model_fingerprint(config, device)
    layers = sorted(resolve_layers(config.layers, backbone_fp["num_layers"]))
    tokenizer = load_tokenizer(config.model, gguf_file=config.gguf_file, revision=config.revision,
                               trust_remote_code=config.trust_remote_code)
    builder = SegmentBuilder(tokenizer, fmt)
    indexes = {split: index_split(path, tokenizer, scheme) for split, path in files.items()}
    fingerprint = {
        "backbone": backbone_fp,
        "tokenizer": tokenizer_fingerprint(tokenizer),
        "input_format": fmt.to_json(),
        "layers": layers,
        "feature_dtype": config.feature_dtype,
        "labels": scheme.to_json(),
        "data": {split: index.sha256 for split, index in indexes.items()},
        "shard_tokens": config.shard_tokens,
    }
    plans = {split: plan_shards(split, index.token_counts.tolist(), config.shard_tokens)
             for split, index in indexes.items()}
    itemsize = np.dtype(FEATURE_NUMPY_DTYPES[config.feature_dtype]).itemsize

    def check_space(pending: list[ShardPlan]) -> None:  # the whole cache's, whichever process asks
        check_free_space(config.out, planned_bytes(pending, backbone_fp["hidden_size"], len(layers), itemsize),
                         f"the cache ({len(pending)} shards to write)")

    if config.overwrite:  # before the old cache is moved aside: it stays until the new one is complete
        check_space([plan for split in plans for plan in plans[split]])
    writer = _claim_together(state, rank, lambda: CacheWriter(config.out, fingerprint, overwrite=config.overwrite,
                                                               is_main=rank == 0))

    split_info = {split: {"examples": len(index.line_offsets), "tokens": int(index.token_counts.sum()),
                          "languages": index.languages,
                          "alignment": {"entities": index.alignment.entities, "inexact": index.alignment.inexact,
                                        "lost": index.alignment.lost,
                                        "straddling_tokens": index.alignment.straddling_tokens}}
                  for split, index in indexes.items()}
    extra = {"layers": [{"index": layer, "specs": _specs_of(layer, config.layers, backbone_fp["num_layers"])}
                        for layer in layers],
             "created_by": "cli.py extract"}

    mine = [plan for i, plan in enumerate(p for split in plans for p in plans[split]) if i % world == rank]
    todo = [plan for plan in mine if not writer.is_finished(plan)]
    result = ExtractResult(Path(config.out), layers=layers, shards_skipped=len(mine) - len(todo))
    if rank == 0:
        writer.write_manifest(plans, split_info, extra)

    try:
        check_space([plan for split in plans for plan in plans[split] if not writer.is_finished(plan)])
        if todo:
            _compute_shards(config, todo, indexes, builder, tokenizer, scheme, layers, writer, device, result,
                            on_shard=(lambda: writer.write_manifest(plans, split_info, extra)) if rank == 0 else None,
                            desc=f"extract [rank {rank}]" if world > 1 else "extract")
    finally:
        writer.close()
    if state is not None:
        state.wait_for_everyone()
    if rank == 0:
        manifest = writer.write_manifest(plans, split_info, extra)
        result.complete = manifest["complete"]
        writer.finish(result.complete)
        result.examples_total = sum(info["examples"] for info in split_info.values())
        result.tokens_total = sum(info["tokens"] for info in split_info.values())
        result.shards_total = sum(len(p) for p in plans.values())
        result.bytes_on_disk = folder_bytes(config.out)
    result.seconds = time.perf_counter() - started
    return result


def _compute_shards(config: ExtractConfig, todo: list[ShardPlan], indexes: dict[str, SplitIndex],
                    builder: SegmentBuilder, tokenizer, scheme: LabelScheme, layers: list[int],
                    writer: CacheWriter, device: torch.device, result: ExtractResult, on_shard, desc: str) -> None:
    """Load the backbone once and compute the shards of `todo`, writing each in the background."""
    model, _, input_device = load_backbone(config.backbone(), device)
    capture = LayerCapture(model, layers)
    hidden = model.config.get_text_config().hidden_size
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    if input_device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(input_device)
    compute_started = time.perf_counter()
    with tqdm(total=sum(p.tokens for p in todo), unit="tok", unit_scale=True, disable=not config.progress,
              desc=desc, dynamic_ncols=True) as bar:
        for plan in todo:
            index = indexes[plan.split]
            records = index.records(plan.first, plan.last)
            tokenized, _ = tokenize_texts(tokenizer, [r.text for r in records], records, scheme)
            buffer = ShardBuffer.allocate(plan, records, tokenized, layers, hidden, FEATURE_NUMPY_DTYPES[config.feature_dtype])
            segments = [segment for i, tokens in enumerate(tokenized) for segment in builder.segments(i, tokens)]
            where = f"{plan.split} shard {plan.index} (examples {plan.first}-{plan.last - 1})"
            for batch, kept in forward_batches(capture, segments, config.batch_tokens, pad_id, input_device,
                                               config.feature_dtype, where, [r.id for r in records]):
                destination = np.concatenate([buffer.ptr[s.text_index] + s.token_indices for s in batch])  # [R]
                for layer, rows in kept.items():
                    buffer.features[layer][destination] = rows
                buffer.filled[destination] = True
                result.positions += max(len(s.input_ids) for s in batch) * len(batch)
                result.real_positions += sum(len(s.input_ids) for s in batch)
                result.tokens += len(destination)
                bar.update(len(destination))
            writer.submit(buffer)  # written while the next shard is computed
            result.shards_written += 1
            result.examples += len(records)
            if on_shard is not None:
                on_shard()  # the manifest lists the shards that are whole on disk so far
        writer.wait()
    result.compute_seconds = time.perf_counter() - compute_started
    if input_device.type == "cuda":
        result.peak_gpu_bytes = int(torch.cuda.max_memory_allocated(input_device))


def _specs_of(layer: int, specs: str, num_layers: int) -> list[str]:
    """The user's spellings of an absolute layer index ('-1', '0.5'), for the manifest."""
    from extract.layers import parse_layer_specs, resolve_layer

    return [spec for spec in parse_layer_specs(specs) if resolve_layer(spec, num_layers) == layer]
