"""How long `predict` takes to tag one short text from a fresh process, cold (a GGUF backbone converted
on first use) and warm (its converted copy reused), against importing torch + transformers, and
texts/s once loaded; Presidio's analyzer beside it (when installed). Side by side in one run.

Target: the warm start at most 3x the import. Each start runs in a new process with its own user
cache folder (so the first one is really cold); the best of `--repeats` is kept.
Run: python benchmarks/predict_start.py --head demo-work/head-middle
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

from common import machine

ROOT = Path(__file__).resolve().parents[1]
TEXT = "Call Mary Jones on 555-123-4567"
PRESIDIO_START = """
import sys; sys.path.insert(0, sys.argv[1])
from presidio_peer import presidio_spans
presidio_spans([sys.argv[2]], "en")
"""


def seconds(command: list[str], env: dict) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise click.ClickException(f"{' '.join(command[:4])}... failed: {done.stderr[-1500:]}")
    return time.perf_counter() - started


def texts_per_second(head: Path, n: int) -> float:
    from extract.records import load_prepared
    from head.tagger import Tagger
    from common import synthetic_prepared

    texts = [r.text for r in load_prepared(synthetic_prepared(Path("/tmp/bench-start"), n, n) / "train.jsonl")]
    tagger = Tagger.from_pretrained(head, batch_tokens=2048)
    tagger.tag(texts[:8])
    started = time.perf_counter()
    tagger.tag(texts)
    return len(texts) / (time.perf_counter() - started)


@click.command()
@click.option("--head", type=click.Path(path_type=Path, exists=True), default=Path("demo-work/head-middle"),
              show_default=True, help="Head folder (make demo writes the default).")
@click.option("--repeats", type=int, default=2, show_default=True, help="Warm starts and imports to time (best kept).")
@click.option("--n", type=int, default=50, show_default=True, help="Texts per language for texts/s.")
@click.option("--json-out", type=click.Path(path_type=Path), help="Also write the figures as JSON.")
def main(head, repeats, n, json_out):
    """Example: python benchmarks/predict_start.py --head demo-work/head-middle"""
    from extract.weights import DIGESTS_FILE, user_cache_dir

    # A user cache without converted copies (so the first start is cold), but with the digests this
    # machine remembers (a head on a local folder finds its backbone by them).
    cache = Path(tempfile.mkdtemp(prefix="pii-start-"))
    if (user_cache_dir() / DIGESTS_FILE).is_file():
        shutil.copy(user_cache_dir() / DIGESTS_FILE, cache / DIGESTS_FILE)
    env = {**os.environ, "PII_TAGGER_CACHE_DIR": str(cache), "TOKENIZERS_PARALLELISM": "false"}
    python = sys.executable
    predict = [python, "cli.py", "predict", "--head", str(head), "--quiet", TEXT]
    imports = min(seconds([python, "-c", "import torch, transformers"], env) for _ in range(repeats))
    cold = seconds(predict, env)
    warm = min(seconds(predict, env) for _ in range(repeats))
    figures = {"machine": machine(), "import_s": imports, "cold_s": cold, "warm_s": warm, "warm_over_import": warm / imports,
               "texts_per_s": texts_per_second(head, n)}
    try:
        import presidio_analyzer  # noqa: F401

        peer = [python, "-c", PRESIDIO_START, str(ROOT / "benchmarks"), TEXT]
        figures["presidio_start_s"] = min(seconds(peer, env) for _ in range(repeats))
        from presidio_peer import presidio_spans
        from extract.records import load_prepared
        from common import synthetic_prepared

        texts = [r.text for r in load_prepared(synthetic_prepared(Path("/tmp/bench-start"), n, n) / "train.jsonl")]
        presidio_spans(texts[:8], "en")
        started = time.perf_counter()
        presidio_spans(texts, "en")
        figures["presidio_texts_per_s"] = len(texts) / (time.perf_counter() - started)
    except ImportError:
        figures["presidio_start_s"] = figures["presidio_texts_per_s"] = None
    print(f"machine: {figures['machine']}; head {head}")
    print(f"import torch + transformers   {imports:6.2f} s")
    print(f"predict one text, cold        {cold:6.2f} s (the GGUF backbone converted, once)")
    print(f"predict one text, warm        {warm:6.2f} s -> {warm / imports:.2f} x the import (target <= 3)")
    print(f"predict, loaded               {figures['texts_per_s']:6.1f} texts/s")
    if figures["presidio_start_s"] is not None:
        print(f"Presidio: one text from a fresh process {figures['presidio_start_s']:.2f} s, loaded "
              f"{figures['presidio_texts_per_s']:.1f} texts/s (English)")
    if json_out:
        json_out.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
