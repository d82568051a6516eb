"""`serve` under load: 8 concurrent clients sending 1 KB texts, requests/s and p50/p95 latency, with
and without gathering concurrent requests into one forward pass, next to `predict`'s batch
throughput on the same texts and the same loaded tagger (measured side by side in one run).

Run: python benchmarks/serve_load.py --head demo-work/head-middle   (after `make demo`)
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from pathlib import Path

import click
import httpx
import uvicorn

from common import machine, synthetic_prepared

from extract.records import load_prepared
from tools.configs import ServeConfig
import tools.serve
from tools.serve import create_app, load_tagger


def kilobyte_texts(workdir: Path, n: int, size: int) -> list[str]:
    """`n` texts of about `size` characters, each several synthetic messages put together."""
    pieces = [r.text for r in load_prepared(synthetic_prepared(workdir, 400, 400, seed=11) / "train.jsonl")]
    texts, current = [], ""
    for piece in pieces:
        current = f"{current} {piece}".strip()
        if len(current) >= size:
            texts.append(current[:size])
            current = ""
            if len(texts) == n:
                return texts
    raise click.ClickException(f"the synthetic corpus holds fewer than {n} texts of {size} characters")


def start(app) -> tuple[uvicorn.Server, str]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, access_log=False, log_level="warning",
                                          lifespan="off"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    host, port = server.servers[0].sockets[0].getsockname()[:2]
    return server, f"http://{host}:{port}"


def load(url: str, texts: list[str], clients: int) -> dict:
    """Each client sends its share of `texts`, one request at a time; every latency is kept."""
    latencies: list[float] = []
    failures = []

    def client(share: list[str]) -> None:
        with httpx.Client(base_url=url, timeout=300) as session:
            for text in share:
                started = time.perf_counter()
                response = session.post("/analyze", json={"text": text})
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    failures.append(response.status_code)

    threads = [threading.Thread(target=client, args=(texts[i::clients],)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if failures:
        raise click.ClickException(f"{len(failures)} requests failed: {sorted(set(failures))}")
    cuts = statistics.quantiles(latencies, n=20)
    return {"requests": len(latencies), "seconds": seconds, "requests_per_s": len(latencies) / seconds,
            "p50_ms": statistics.median(latencies) * 1000, "p95_ms": cuts[18] * 1000}


@click.command()
@click.option("--head", type=click.Path(path_type=Path, exists=True), default=Path("demo-work/head-middle"),
              show_default=True, help="Head folder to serve (make demo writes the default).")
@click.option("--clients", type=int, default=8, show_default=True, help="Concurrent clients.")
@click.option("--requests", "n_requests", type=int, default=96, show_default=True, help="Requests in all.")
@click.option("--text-bytes", type=int, default=1024, show_default=True, help="Characters per text.")
@click.option("--batch-wait-ms", "waits", type=float, multiple=True, default=(0.0, 5.0, 25.0), show_default=True,
              help="Gathering windows to compare (0: one forward pass per request).")
@click.option("--workdir", type=click.Path(path_type=Path), default=Path("/tmp/bench-serve"), show_default=True,
              help="Scratch folder for the synthetic texts.")
@click.option("--json-out", type=click.Path(path_type=Path), help="Also write the figures as JSON.")
def main(head, clients, n_requests, text_bytes, waits, workdir, json_out):
    """Example: python benchmarks/serve_load.py --head demo-work/head-middle --clients 8"""
    workdir.mkdir(parents=True, exist_ok=True)
    texts = kilobyte_texts(workdir, n_requests, text_bytes)
    tagger = load_tagger(ServeConfig(head=head))
    tagger.tag(texts[:clients])  # warm-up: kernels and allocations for these shapes
    started = time.perf_counter()
    tagger.tag(texts)
    predict_per_s = len(texts) / (time.perf_counter() - started)
    print(f"machine: {machine()}; head {head}; {len(texts)} texts of {text_bytes} characters, {clients} clients")
    print(f"predict (one batch, same tagger)  {predict_per_s:7.2f} texts/s")
    runs = []
    gather = tools.serve.MAX_BATCH_TEXTS
    # None: each request alone in its forward pass (no gathering), for comparison.
    for wait in (None, *waits):
        tools.serve.MAX_BATCH_TEXTS = 1 if wait is None else gather
        server, url = start(create_app(tagger, ServeConfig(head=head, batch_wait_ms=wait or 0.0)))
        try:
            load(url, texts[:clients], clients)  # warm-up
            figures = {"batch_wait_ms": wait, **load(url, texts, clients)}
        finally:
            server.should_exit = True
        figures["ratio_to_predict"] = figures["requests_per_s"] / predict_per_s
        runs.append(figures)
        name = "one request per pass   " if wait is None else f"gathered, wait {wait:4.1f} ms"
        print(f"serve, {name}  {figures['requests_per_s']:7.2f} requests/s, p50 {figures['p50_ms']:6.0f} ms, "
              f"p95 {figures['p95_ms']:6.0f} ms -> {figures['ratio_to_predict']:.2f} x predict's throughput")
    if json_out:
        json_out.write_text(json.dumps({"machine": machine(), "head": str(head), "clients": clients,
                                        "text_bytes": text_bytes, "predict_texts_per_s": predict_per_s,
                                        "runs": runs}, indent=2) + "\n")


if __name__ == "__main__":
    main()
