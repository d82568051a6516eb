"""From texts to model inputs: tokenizer loading, label alignment per text, windows, echo.

`prepare`, `extract` and `predict` all go through `tokenize_texts` and `build_segments`, so a
text cached by `extract` and the same text tagged by `predict` see exactly the same inputs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from extract.errors import PiiTaggerError, MissingInputError
from extract.labels import AlignmentStats, LabelScheme, encode
from extract.records import Record
from extract.weights import check_model_location

CONTEXTS = ("plain", "echo")
# Echo (Springer et al. 2024, "Repetition Improves Language Model Embeddings"): the text is read
# twice and the second copy's states are kept, so every token has seen the whole text.
ECHO_TEMPLATE = "Rewrite the text.\nText: {text}\nRewritten text: {text}"


@dataclass(frozen=True)
class TokenizedText:
    """A text's tokens without special tokens; `labels` is None when no gold is known."""

    ids: np.ndarray  # int64 [T]
    offsets: np.ndarray  # int64 [T, 2], raw character offsets (may include a leading space)
    labels: np.ndarray | None  # int16 [T]


@dataclass(frozen=True)
class Segment:
    """One model input (a window, possibly echoed) and which of its positions become cache rows."""

    text_index: int  # which text it belongs to
    input_ids: np.ndarray  # int64 [S], with special tokens and template
    positions: np.ndarray  # int64 [R], positions in input_ids whose states are kept
    token_indices: np.ndarray  # int64 [R], the text's token index of each kept position


def hub_kwargs(gguf_file: str | None = None, revision: str | None = None, trust_remote_code: bool = False) -> dict:
    """The `from_pretrained` arguments every loader of a backbone passes the same way."""
    kwargs: dict = {"trust_remote_code": trust_remote_code}
    if gguf_file:
        kwargs["gguf_file"] = gguf_file
    if revision:
        kwargs["revision"] = revision
    return kwargs


def load_tokenizer(name_or_path: str, *, gguf_file: str | None = None, revision: str | None = None,
                   trust_remote_code: bool = False):
    """A fast tokenizer (offsets are required for alignment) from a hub name or a folder."""
    from transformers import AutoTokenizer

    check_model_location(name_or_path)
    try:
        tokenizer = AutoTokenizer.from_pretrained(name_or_path, **hub_kwargs(gguf_file, revision, trust_remote_code))
    except OSError as err:
        raise MissingInputError(f"cannot load a tokenizer from {name_or_path!r}: {err}") from None
    if not getattr(tokenizer, "is_fast", False):
        raise PiiTaggerError(
            f"the tokenizer of {name_or_path!r} is not a fast tokenizer: character offsets are needed "
            "to align labels (install `tokenizers` and `sentencepiece`)"
        )
    return tokenizer


def tokenizer_fingerprint(tokenizer) -> dict:
    """Name, vocabulary size and a hash of the full tokenizer definition."""
    backend = getattr(tokenizer, "backend_tokenizer", None) or getattr(tokenizer, "_tokenizer", None)
    definition = backend.to_str() if backend is not None else repr(sorted(tokenizer.get_vocab().items()))
    return {
        "name": str(getattr(tokenizer, "name_or_path", "")),
        "class": type(tokenizer).__name__,
        "vocab_size": len(tokenizer),
        "sha256": hashlib.sha256(definition.encode("utf-8")).hexdigest(),
    }


def special_framing(tokenizer) -> tuple[list[int], list[int]]:
    """The special tokens the tokenizer puts before and after a text (e.g. Mistral's BOS)."""
    probe = "a"
    plain = tokenizer(probe, add_special_tokens=False)["input_ids"]
    framed = tokenizer(probe, add_special_tokens=True)["input_ids"]
    for start in range(len(framed) - len(plain) + 1):
        if framed[start:start + len(plain)] == plain:
            return list(framed[:start]), list(framed[start + len(plain):])
    return [], []


def tokenize_texts(
    tokenizer, texts: Sequence[str], records: Sequence[Record] | None = None,
    scheme: LabelScheme | None = None, batch_size: int = 256,
) -> tuple[list[TokenizedText], AlignmentStats]:
    """Tokenize without special tokens; with `records` and `scheme`, align their gold labels."""
    stats = AlignmentStats()
    result: list[TokenizedText] = []
    for first in range(0, len(texts), batch_size):
        chunk = list(texts[first:first + batch_size])
        encoded = tokenizer(chunk, add_special_tokens=False, return_offsets_mapping=True)
        for i, text in enumerate(chunk):
            ids = np.asarray(encoded["input_ids"][i], dtype=np.int64)
            offsets = np.asarray(encoded["offset_mapping"][i], dtype=np.int64).reshape(-1, 2)
            labels = None
            if records is not None and scheme is not None:
                record = records[first + i]
                labels, text_stats = encode(text, offsets, record.spans, scheme, record.ignored)
                stats.merge(text_stats)
            result.append(TokenizedText(ids, offsets, labels))
    return result, stats


@dataclass(frozen=True)
class InputFormat:
    """How texts become model inputs; part of the cache fingerprint and of every head."""

    max_length: int = 512  # model positions per input, special tokens and template included
    stride: int = 128  # tokens of left context repeated at the start of each following window
    context: str = "plain"  # "plain", or "echo": read the text twice, keep the second copy

    def __post_init__(self):
        if self.context not in CONTEXTS:
            raise PiiTaggerError(f"`context`: unknown value {self.context!r} (expected one of: {', '.join(CONTEXTS)})")
        if self.max_length < 8:
            raise PiiTaggerError(f"`max_length` must be at least 8, got {self.max_length}")
        if self.stride < 0:
            raise PiiTaggerError(f"`stride` must be zero or positive, got {self.stride}")

    def to_json(self) -> dict:
        out = {"max_length": self.max_length, "stride": self.stride, "context": self.context}
        if self.context == "echo":
            out["template"] = ECHO_TEMPLATE
        return out

    @classmethod
    def from_json(cls, obj: dict) -> "InputFormat":
        if obj.get("context") == "echo" and obj.get("template", ECHO_TEMPLATE) != ECHO_TEMPLATE:
            raise PiiTaggerError("this cache or head was made with another echo template than this version uses")
        return cls(int(obj["max_length"]), int(obj["stride"]), str(obj.get("context", "plain")))


class SegmentBuilder:
    """Cuts tokenized texts into model inputs: windows of `max_length`, optionally echoed."""

    def __init__(self, tokenizer, fmt: InputFormat):
        self.fmt = fmt
        self.prefix_special, self.suffix_special = special_framing(tokenizer)
        self.echo_head: list[int] = []
        self.echo_middle: list[int] = []
        if fmt.context == "echo":
            head, middle, _ = ECHO_TEMPLATE.split("{text}")
            # Trailing spaces are dropped: a text's first token carries its own leading space
            # (SentencePiece `▁`), and the pieces are tokenized apart so they never merge with it.
            self.echo_head = tokenizer(head.rstrip(" "), add_special_tokens=False)["input_ids"]
            self.echo_middle = tokenizer(middle.rstrip(" "), add_special_tokens=False)["input_ids"]
        self.overhead = (len(self.prefix_special) + len(self.suffix_special)
                         + len(self.echo_head) + len(self.echo_middle))
        self.copies = 2 if fmt.context == "echo" else 1
        room = fmt.max_length - self.overhead
        self.window = room // self.copies
        if self.window <= fmt.stride:
            raise PiiTaggerError(
                f"`max_length` {fmt.max_length} leaves windows of {self.window} text tokens"
                f"{' (the echo template reads each window twice)' if fmt.context == 'echo' else ''}, "
                f"not more than `stride` {fmt.stride}: raise `max_length` or lower `stride`"
            )

    def windows(self, n_tokens: int) -> list[tuple[int, int, int]]:
        """(start, end, keep_from) per window; see `plan_windows` for which tokens each one keeps.

        Plain context keeps each token from the first window that holds it (the most left
        context); echo splits each overlap at its middle, so a token comes from the window where
        it has context on both sides.
        """
        return plan_windows(n_tokens, self.window, self.fmt.stride, centred=self.fmt.context == "echo")

    def segments(self, text_index: int, tokens: TokenizedText) -> list[Segment]:
        out = []
        windows = self.windows(len(tokens.ids))
        for i, (start, end, keep_from) in enumerate(windows):
            keep_to = windows[i + 1][2] if i + 1 < len(windows) else end  # the next window keeps the rest
            chunk = tokens.ids[start:end].tolist()
            head = self.prefix_special + self.echo_head
            if self.fmt.context == "echo":
                head = head + chunk + self.echo_middle
            ids = np.asarray(head + chunk + self.suffix_special, dtype=np.int64)
            kept = np.arange(keep_from, keep_to, dtype=np.int64)
            out.append(Segment(text_index, ids, len(head) + kept - start, kept))
        return out


def plan_windows(n_tokens: int, window: int, stride: int, centred: bool = False) -> list[tuple[int, int, int]]:
    """Windows of at most `window` tokens over a text, each overlapping the one before by `stride`.

    Returns (start, end, keep_from) per window: a window stores its tokens from `keep_from` up to
    the next window's `keep_from` (its own `end` for the last), so every token is stored once.
    By default a window keeps everything after the previous window's end: each token comes
    from the first window that holds it, where it has the most left context. With `centred`
    (echo, where a token also sees the text after it) each overlap is split at its middle:
    a token comes from the window where its nearer edge is farther away.
    """
    if window <= stride:
        raise PiiTaggerError(f"windows of {window} tokens cannot overlap by {stride}")
    if n_tokens == 0:
        return []
    spans = [(0, min(n_tokens, window), 0)]
    while spans[-1][1] < n_tokens:
        end_before = spans[-1][1]
        start = end_before - stride
        # In the overlap [start, end_before), token p has p - start tokens of left context in
        # this window and end_before - 1 - p of right context in the one before: it is kept
        # here from where the first is at least the second.
        keep_from = start + stride // 2 if centred else end_before  # guard: echo-window-centre
        spans.append((start, min(n_tokens, start + window), keep_from))
    return spans
