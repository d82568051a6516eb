"""`predict` memory against text length: peak RSS of tagging one long text, each in a fresh process.

Prints the peak resident memory for texts of 50,000 to 150,000 characters with the tiny model; it
must grow with the text, not with spans x tokens, and stay under 1 GB at 150,000 characters.
Run: python benchmarks/predict_memory.py
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click

from common import machine

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import json, resource, sys
from head.tagger import Tagger
tagger = Tagger.from_pretrained(sys.argv[1], device="cpu", dtype="float32")
tagger.tag(["Call Jean Dupont on 06 12 34 56 78."])  # warm up: what loading costs is not the text's
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
text = ("Contactez Jean Dupont au 06 12 34 56 78 ou jean.dupont@exemple.fr, 12 rue de la Paix, Paris. " * 2000)
tagged, = tagger.tag([text[: int(sys.argv[2])]])
print(json.dumps({"chars": int(sys.argv[2]), "spans": len(tagged.spans), "loaded_kb": before,
                  "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def tiny_head(workdir: Path) -> Path:
    """A head on the tiny random Mistral, trained by the demo's own pipeline (seconds)."""
    from tools.demo import DemoConfig, run_demo

    head = workdir / "demo" / "head-middle"
    if not (head / "head.json").exists():
        run_demo(DemoConfig(workdir=workdir / "demo", n_english=20, n_french=20, backbone="tiny", epochs=1, overwrite=True, progress=False),
                 log=lambda _: None)
    return head


@click.command()
@click.option("--workdir", type=click.Path(path_type=Path), default=Path("/tmp/bench-predict-memory"),
              show_default=True, help="Scratch folder.")
def main(workdir):
    """Example: python benchmarks/predict_memory.py"""
    workdir.mkdir(parents=True, exist_ok=True)
    head = tiny_head(workdir)
    rows = []
    for chars in (50_000, 100_000, 150_000):
        done = subprocess.run([sys.executable, "-c", PROBE, str(head), str(chars)], cwd=ROOT, check=True,
                              capture_output=True, text=True)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"machine: {machine()}; tiny random Mistral (D=64), float32")
    for row in rows:
        print(f"{row['chars']:>7,} characters: peak RSS {row['peak_kb'] / 1024:,.0f} MB "
              f"({(row['peak_kb'] - row['loaded_kb']) / 1024:,.0f} MB above the loaded tagger), {row['spans']} spans")
    growth = [(b["peak_kb"] - a["peak_kb"]) / 1024 for a, b in zip(rows, rows[1:])]
    print(f"growth per 50,000 more characters: {', '.join(f'{g:,.0f} MB' for g in growth)}; "
          f"150,000 characters under 1 GB: {rows[-1]['peak_kb'] < 1024 ** 2}")


if __name__ == "__main__":
    main()
