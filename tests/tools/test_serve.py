"""The redaction service: a real uvicorn server on the tiny head, a real HTTP client, a real browser.

Every endpoint answers as `predict` would; every bad request gets its 4xx and the service stays
up; 64 concurrent requests are all answered, each with its own text's spans; no text is logged.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest

fastapi = pytest.importorskip("fastapi", reason="the service needs the serve extra (fastapi, uvicorn)")
httpx = pytest.importorskip("httpx")

from click.testing import CliRunner  # noqa: E402

from cli import main  # noqa: E402
from head.tagger import mask_text  # noqa: E402
from tools.configs import ServeConfig  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TEXT = "Call Mary Jones on 555-123-4567 or write to mary.jones@example.com"
MAX_BYTES = 4096


class Running:
    def __init__(self, url: str, tagger):
        self.url, self.tagger = url, tagger

    def post(self, path: str, body, **kwargs) -> httpx.Response:
        return httpx.post(self.url + path, json=body, timeout=60, **kwargs)


@pytest.fixture(scope="module")
def service(tiny_head):
    import uvicorn

    from tools.serve import create_app, load_tagger

    config = ServeConfig(head=tiny_head, port=0, max_bytes=MAX_BYTES, max_chars=800, batch_wait_ms=5)
    tagger = load_tagger(config)
    server = uvicorn.Server(uvicorn.Config(create_app(tagger, config), host="127.0.0.1", port=0, access_log=False,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started:
        assert time.time() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    host, port = server.servers[0].sockets[0].getsockname()[:2]
    yield Running(f"http://{host}:{port}", tagger)
    server.should_exit = True
    thread.join(10)


def expected_entities(tagger, text: str, threshold: float | None = None) -> list[dict]:
    """What `predict` finds in `text`, in the analyzer's shape (the tagger is idle between requests)."""
    tagged = tagger.tag([text], min_score=threshold)[0]
    return [{"entity_type": s.label, "start": s.start, "end": s.end, "score": round(s.score, 4)} for s in tagged.spans]


def test_health_names_the_head_and_backbone(service, tiny_head, tiny_model_dir):
    health = httpx.get(service.url + "/health").json()
    assert health["status"] == "ok" and health["head"] == str(tiny_head)
    assert health["backbone"] == tiny_model_dir.name and "EMAIL" in health["labels"]  # by name, never a path
    assert health["operating_point"] == "recall" and isinstance(health["rules"], bool)  # the head's default


def test_analyze_returns_what_predict_finds_for_one_text_or_many(service):
    one = service.post("/analyze", {"text": TEXT, "language": "en"})
    assert one.status_code == 200 and one.json() == expected_entities(service.tagger, TEXT)
    assert one.json(), "the tiny head finds something in TEXT at its threshold (the test needs spans)"
    everything = service.post("/analyze", {"text": TEXT, "score_threshold": 0.0}).json()
    assert everything == expected_entities(service.tagger, TEXT, 0.0) and len(everything) >= len(one.json())
    label = everything[0]["entity_type"]
    only = service.post("/analyze", {"text": TEXT, "score_threshold": 0.0, "entities": [label]}).json()
    assert only == [e for e in everything if e["entity_type"] == label]
    texts = [TEXT, "", "Appelez Jean au 06 12 34 56 78"]
    many = service.post("/analyze", {"text": texts, "language": "fr"}).json()
    assert many == [expected_entities(service.tagger, text) for text in texts]


def test_anonymize_replaces_what_analyze_found(service):
    result = service.post("/anonymize", {"text": TEXT}).json()
    tagged = service.tagger.tag([TEXT])[0]
    assert result["text"] == mask_text(TEXT, tagged.spans) == tagged.masked_text
    for item, span in zip(result["items"], tagged.spans):
        assert result["text"][item["start"]:item["end"]] == item["text"]
        assert (item["entity_type"], item["operator"]) == (span.label, "replace")
    custom = service.post("/anonymize", {"text": [TEXT, "nothing"], "operators": {"DEFAULT": {"new_value": "<X>"}}})
    assert custom.status_code == 200
    first, second = custom.json()
    assert first["text"].count("<X>") == len(tagged.spans) and second == {"text": "nothing", "items": []} \
        or second["text"].count("<X>") == len(second["items"])


def test_anonymize_applies_every_operator_as_predict_does(service):
    tagged = service.tagger.tag([TEXT], min_score=0.0)[0]
    labels = sorted({s.label for s in tagged.spans})
    request = {"text": TEXT, "language": "en", "operators": {"DEFAULT": {"type": "mask", "masking_char": "#"},
                                                             labels[0]: {"type": "fake"}}}
    # score_threshold is analyze's; anonymize applies the head's threshold, like predict without --min-score
    result = service.post("/anonymize", request).json()
    spans = service.tagger.tag([TEXT])[0].spans
    assert len(result["items"]) == len(spans)
    assert {i["operator"] for i in result["items"]} <= {"mask", "fake"}
    for item, span in zip(result["items"], spans):
        assert item["operator"] == ("fake" if span.label == labels[0] else "mask")
        if item["operator"] == "mask":
            assert result["text"][item["start"]:item["end"]] == "#" * (span.end - span.start)
    hashed = service.post("/anonymize", {"text": [TEXT, TEXT], "operators": {"DEFAULT": {"type": "hash"}}}).json()
    assert hashed[0]["text"] == hashed[1]["text"] != TEXT  # one salt for the server's life


BAD_REQUESTS = [
    ("/analyze", b"{not json", 422, "not valid JSON"),
    ("/analyze", b"[1, 2]", 422, "must be a JSON object"),
    ("/analyze", {"language": "en"}, 422, "text: Field required"),
    ("/analyze", {"text": 5}, 422, "text: expected a string, or a list of strings"),
    ("/analyze", {"text": ["a", 5]}, 422, "text: expected a string, or a list of strings"),
    ("/analyze", {"text": "a", "entities": ["NOPE"]}, 400, "entities: ['NOPE'] are not labels of this head"),
    ("/analyze", {"text": "a", "score_threshold": 2}, 422, "score_threshold: Input should be less than or equal to 1"),
    ("/analyze", {"text": "a", "score_threshold": "high"}, 422, "score_threshold"),
    ("/analyze", {"text": "a", "language": "de"}, 422, "language"),
    ("/analyze", {"text": "a", "colour": "red"}, 422, "colour: Extra inputs are not permitted"),
    ("/analyze", {"text": "a\u0000b"}, 400, "text holds a NUL character"),
    ("/analyze", b'{"text": ["fine", "a\\ud800b"]}', 400, "text[1] holds a lone surrogate"),
    ("/anonymize", {"text": "a", "operators": {"EMAIL": {"type": "shred"}}}, 422, "operators.EMAIL.type"),
    ("/anonymize", {"text": "a", "operators": {"EMAIL": {"type": "mask", "new_value": "x"}}}, 400,
     "new_value goes with replace"),
    ("/anonymize", {"text": "a", "operators": {"EMAIL": {"type": "mask", "masking_char": "##"}}}, 422,
     "operators.EMAIL.masking_char"),
    ("/anonymize", {"text": "a", "operators": {"NOPE": {"new_value": "x"}}}, 400, "operators: ['NOPE']"),
    ("/analyze", {"text": "x" * MAX_BYTES}, 413, f"over {MAX_BYTES} bytes"),
    ("/analyze", {"text": ["x" * 300] * 3}, 400, "the texts hold 900 characters, over this service's 800"),
    ("/analyze", {"text": "a", "score_threshold": True}, 422, "score_threshold"),
    ("/analyze", b'{"text": "\xff"}', 400, "could not be read as JSON"),
    ("/analyze", b"[" * 2000 + b"]" * 2000, 400, "could not be read as JSON"),
    ("/nowhere", {"text": "a"}, 404, "no such path"),
    ("/anonymize", b'{"text": "a", "operators": {"DEFAULT": {"new_value": "\\ud800"}}}', 400,
     "new_value holds a lone surrogate"),
]


@pytest.mark.parametrize("path, body, status, message", BAD_REQUESTS)
def test_a_bad_request_gets_its_4xx_naming_the_problem_and_the_service_stays_up(service, path, body, status,
                                                                                 message):
    if isinstance(body, bytes):  # not JSON, or JSON that no client library would write (a lone surrogate)
        response = httpx.post(service.url + path, content=body, headers={"Content-Type": "application/json"})
    else:
        response = service.post(path, body)
    assert response.status_code == status, response.text
    assert message in response.json()["error"]
    assert httpx.get(service.url + "/health").status_code == 200


def test_a_body_over_the_limit_is_refused_even_without_a_length(service):
    def chunks():
        for _ in range(4):
            yield b"x" * (MAX_BYTES // 2)

    response = httpx.post(service.url + "/analyze", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and "over" in response.json()["error"]


def test_64_concurrent_requests_are_all_answered_each_with_its_own_spans(service):
    texts = [f"{TEXT} (ticket {i}, call {555 + i}-0100)" for i in range(64)]
    expected = [expected_entities(service.tagger, text) for text in texts]

    async def send_all():
        async with httpx.AsyncClient(base_url=service.url, timeout=120,
                                     limits=httpx.Limits(max_connections=64)) as client:
            return await asyncio.gather(*(client.post("/analyze", json={"text": text}) for text in texts))

    responses = asyncio.run(send_all())
    assert [r.status_code for r in responses] == [200] * 64
    assert [r.json() for r in responses] == expected


def test_no_text_reaches_the_log(service, caplog):
    secret = "Zorglub Quintessa 777-555-0199"
    with caplog.at_level(logging.DEBUG):
        service.post("/analyze", {"text": secret})
        service.post("/anonymize", {"text": secret})
        httpx.get(service.url + "/?text=" + quote(secret))
        service.post("/analyze", {"text": secret, "entities": ["NOPE"]})

        def server_lines() -> str:
            # The server's loggers (this tool's and uvicorn's); the test's own HTTP client logs what it sends.
            return " ".join(record.getMessage() for record in caplog.records
                            if record.name.startswith(("pii_tagger", "uvicorn", "fastapi", "starlette")))

        deadline = time.monotonic() + 10  # a request's line is logged after its answer is sent
        while "/analyze 400" not in server_lines() and time.monotonic() < deadline:
            time.sleep(0.05)
    logged = server_lines()
    assert "/analyze 200" in logged and "/analyze 400" in logged
    assert "Zorglub" not in logged and "777" not in logged and "Quintessa" not in logged


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.parametrize("text", [TEXT, "😀😀 " + TEXT], ids=["plain", "emoji"])  # offsets in code points
def test_the_page_marks_the_entities_of_a_shared_link_in_a_real_browser(service, tmp_path, text):
    browser = chromium()
    if browser is None:
        pytest.skip("no headless browser: apt-get install -y chromium (CI installs it)")
    result = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path}",
                             "--virtual-time-budget=20000", "--dump-dom", f"{service.url}/?text={quote(text)}"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    from html.parser import HTMLParser

    class Marks(HTMLParser):
        def __init__(self):
            super().__init__()
            self.marks, self.inside, self.redacted, self.in_redacted = [], None, "", False

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "mark":
                self.inside = [attrs["data-label"], ""]
            self.in_redacted = self.in_redacted or attrs.get("id") == "redacted"

        def handle_endtag(self, tag):
            if tag == "mark":
                self.marks.append(tuple(self.inside))
                self.inside = None
            if tag == "div":
                self.in_redacted = False

        def handle_data(self, data):
            if self.inside is not None:
                self.inside[1] += data
            elif self.in_redacted:
                self.redacted += data

    page = Marks()
    page.feed(result.stdout)
    expected = [(e["entity_type"], text[e["start"]:e["end"]]) for e in expected_entities(service.tagger, text)]
    assert page.marks == expected and expected
    assert page.redacted == service.tagger.tag([text])[0].masked_text


def test_serve_command_line_starts_answers_and_stops_with_a_summary(tiny_head):
    refused = CliRunner().invoke(main, ["serve", "--head", str(tiny_head), "--port", "70000"])
    assert refused.exit_code != 0 and "--port must be in 0-65535" in refused.output
    process = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "serve", "--head", str(tiny_head), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                               env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
    try:
        url = None
        for line in process.stderr:
            if line.startswith("serving "):
                url = line.split(" on ")[1].split(" ")[0]
                break
        assert url, "the command never said where it listens"
        assert httpx.get(url + "/health").json()["status"] == "ok"
        assert httpx.post(url + "/analyze", json={"text": TEXT}).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err[-2000:]
    assert "serve: stopped" in out and "2 (2 x 200)" in out
