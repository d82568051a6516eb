"""`serve`: a head as a local redaction service (FastAPI on uvicorn), its backbone loaded once.

A thin adapter over the `Tagger` that `predict` uses: POST /analyze returns Presidio-shaped
entities, POST /anonymize the redacted text, GET / a page that highlights what was found.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import secrets
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from importlib import resources
from typing import Literal

from extract.errors import NonFiniteError, PiiTaggerError
from extract.records import check_text
from head.operators import DEFAULT, OPERATORS, Operator, Redactor, read_salt
from head.tagger import PredictedSpan, Tagger, TaggedText, labels_to_keep
from tools.configs import ServeConfig

try:
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException
    from fastapi.responses import HTMLResponse, JSONResponse
    from pydantic import BaseModel, ConfigDict, Field
except ImportError as err:  # an optional extra: say how to get it, before any model loads
    raise PiiTaggerError("the service needs FastAPI and uvicorn: pip install 'llm-pii-tagger[serve]'") from err

LOG = logging.getLogger("pii_tagger.serve")  # counts and timings only: never a text, a body or a query
LANGUAGES = ("en", "fr")  # what the heads are trained on; other languages are refused, not guessed
MAX_BATCH_TEXTS = 256  # texts of concurrent requests gathered into one forward pass, at most
ROUTES = ("/", "/health", "/analyze", "/anonymize", "/docs", "/openapi.json")  # paths the access log names
Texts = str | list[str]


class AnalyzeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Texts = Field(description="A text, or a list of texts analysed in one request.")
    language: Literal[LANGUAGES] | None = Field(None, description="en or fr; the head reads both.")
    entities: list[str] | None = Field(None, description="Keep only these entity types (the head's labels); "
                                                         "empty or absent: all, as Presidio.")
    score_threshold: float | None = Field(None, ge=0.0, le=1.0, strict=True,
                                          description="Drop spans scoring below it; default: the head's threshold.")


class OperatorRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal[OPERATORS] = "replace"
    new_value: str | None = Field(None, description="replace: the replacement; default: [LABEL_n].")
    masking_char: str | None = Field(None, min_length=1, max_length=1, description="mask: the character; default *.")

    def operator(self) -> Operator:
        if self.new_value is not None:
            check_text(self.new_value, "new_value")
        misplaced = (self.new_value is not None and self.type != "replace"
                     or self.masking_char is not None and self.type != "mask")
        if misplaced:
            raise PiiTaggerError(f"`operators`: new_value goes with replace and masking_char with mask, not {self.type}")
        return Operator(self.type, self.new_value if self.type == "replace" else self.masking_char)


class AnonymizeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Texts = Field(description="A text, or a list of texts redacted in one request.")
    language: Literal[LANGUAGES] | None = None
    operators: dict[str, OperatorRequest] | None = Field(
        None, description='By entity type, or "DEFAULT" for the rest: replace, mask, hash, redact, keep or fake.')


class Batcher:
    """One worker thread runs the tagger; texts of requests that arrive within `wait` seconds share
    a forward pass. The tagger's hooks are not thread-safe, so nothing else may call it."""

    def __init__(self, tagger: Tagger, wait: float):
        self.tagger, self.wait = tagger, wait
        self._queue: queue.Queue = queue.Queue()
        threading.Thread(target=self._work, name="tagger", daemon=True).start()

    def submit(self, texts: list[str]) -> Future:
        """A future of every scored span of each text (no threshold: each request applies its own)."""
        future: Future = Future()
        self._queue.put((texts, future))
        return future

    def _work(self) -> None:
        while True:
            jobs = [self._queue.get()]
            deadline = time.perf_counter() + self.wait
            while sum(len(texts) for texts, _ in jobs) < MAX_BATCH_TEXTS:
                try:
                    jobs.append(self._queue.get(timeout=max(0.0, deadline - time.perf_counter())))
                except queue.Empty:
                    break
            # A request whose client has gone (its future cancelled) costs no forward pass.
            jobs = [(texts, future) for texts, future in jobs if future.set_running_or_notify_cancel()]
            self._run(jobs)

    def _run(self, jobs: list[tuple[list[str], Future]]) -> None:
        try:
            tagged = list(self.tagger.tag_iter([text for batch, _ in jobs for text in batch], min_score=0.0))
        except Exception as err:  # a broken head or backbone: every waiting request fails, none is "clean"
            for _, future in jobs:
                future.set_exception(err)
            return
        start = 0
        for batch, future in jobs:
            future.set_result(tagged[start:start + len(batch)])
            start += len(batch)


@dataclass
class Service:
    """What the endpoints share: the tagger's batcher, the head's threshold and labels."""

    batcher: Batcher
    threshold: float
    labels: tuple[str, ...]
    health: dict
    salt: bytes  # of the hash operator, for the server's life: the same value, the same hash
    max_chars: int  # characters per request, all texts together: one request cannot hold the model for long

    async def spans(self, texts: list[str], threshold: float | None, entities: list[str] | None
                    ) -> list[list[PredictedSpan]]:
        keep = labels_to_keep(self.labels, entities or None, "entities")  # an unknown label: 400 before any work
        characters = sum(len(text) for text in texts)
        if characters > self.max_chars:
            raise PiiTaggerError(f"the texts hold {characters} characters, over this service's {self.max_chars} "
                                 "per request (max_chars): send them in several requests")
        for i, text in enumerate(texts):
            check_text(text, f"text[{i}]" if len(texts) > 1 else "text")
        minimum = self.threshold if threshold is None else threshold
        tagged: list[TaggedText] = await asyncio.wrap_future(self.batcher.submit(texts))
        return [[s for s in t.spans if s.score >= minimum and (keep is None or s.label in keep)] for t in tagged]


def create_app(tagger: Tagger, config: ServeConfig) -> FastAPI:
    """The service's routes over one loaded tagger; `run_server` serves it with uvicorn."""
    name = config.model or tagger.loaded.meta["backbone"]["name_or_path"]  # as the head names it: no local path
    gguf_file = config.gguf_file if config.model else tagger.loaded.meta["backbone"].get("gguf_file")
    service = Service(Batcher(tagger, config.batch_wait_ms / 1000), tagger.loaded.threshold,
                      tuple(tagger.loaded.scheme.entity_types),
                      {"status": "ok", "head": str(config.head), "backbone": f"{name}/{gguf_file}" if gguf_file else name,
                       "labels": list(tagger.loaded.scheme.entity_types), "threshold": tagger.loaded.threshold,
                       "operating_point": tagger.loaded.operating_point, "rules": tagger.loaded.rules},
                      read_salt(config.salt_file)[0] or secrets.token_bytes(16), config.max_chars)
    app = FastAPI(title="llm-pii-tagger", summary="Find and redact PII in English and French text.",
                  version="0.1.0")
    page = resources.files("tools").joinpath("page.html").read_text(encoding="utf-8")

    @app.get("/health")
    async def health() -> dict:
        return service.health

    @app.post("/analyze")
    async def analyze(request: AnalyzeRequest) -> list[dict] | list[list[dict]]:
        """Entities of the text: [{"entity_type", "start", "end", "score"}], as Presidio's analyzer."""
        texts = as_list(request.text)
        found = await service.spans(texts, request.score_threshold, request.entities)
        results = [[{"entity_type": s.label, "start": s.start, "end": s.end, "score": round(s.score, 4)}
                    for s in spans] for spans in found]
        return results if isinstance(request.text, list) else results[0]

    @app.post("/anonymize")
    async def anonymize(request: AnonymizeRequest) -> dict | list[dict]:
        """The redacted text and where each replacement sits: {"text", "items"}."""
        texts = as_list(request.text)
        operators = {label: choice.operator() for label, choice in (request.operators or {}).items()}
        unknown = sorted(set(operators) - set(service.labels) - {DEFAULT})
        if unknown:
            raise PiiTaggerError(f"`operators`: {unknown} are not labels of this head (nor {DEFAULT})")
        found = await service.spans(texts, None, None)
        # One redactor per request: fake surrogates agree within it, and no value outlives it.
        redactor = Redactor(operators, salt=service.salt)
        results = []
        for text, spans in zip(texts, found):
            redacted, items = redactor.redact(text, spans, request.language)
            results.append({"text": redacted, "items": items})
        return results if isinstance(request.text, list) else results[0]

    @app.get("/", response_class=HTMLResponse)
    async def index() -> str:
        return page

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, err: RequestValidationError) -> JSONResponse:
        messages = dict.fromkeys(validation_message(item) for item in err.errors())  # in order, once each
        return error_response(422, "; ".join(list(messages)[:5]))

    @app.exception_handler(PiiTaggerError)
    async def refused(_request: Request, err: PiiTaggerError) -> JSONResponse:
        if isinstance(err, NonFiniteError):  # the head's fault, not the request's: fail closed
            return error_response(503, str(err))
        return error_response(400, str(err).replace("`", ""))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, err: StarletteHTTPException) -> JSONResponse:
        message = {400: "the body could not be read as JSON (invalid UTF-8, or nested or numbered beyond what a "
                        "parser accepts)", 404: "no such path", 405: "this path does not take this method"}
        return error_response(err.status_code, message.get(err.status_code, str(err.detail)))

    @app.exception_handler(Exception)
    async def bug(_request: Request, err: Exception) -> JSONResponse:
        # A bug, not the request's fault; its message may quote the text, so only its type is logged.
        LOG.error("internal error: %s", type(err).__name__)
        return error_response(500, "internal error (logged without the request's content)")

    app.state.counts = {}  # requests answered, by HTTP status
    app.add_middleware(BodyLimit, max_bytes=config.max_bytes)
    app.add_middleware(AccessLog, counts=app.state.counts)
    return app


@dataclass
class ServeResult:
    url: str
    seconds: float = 0.0
    counts: dict[int, int] | None = None  # requests answered, by HTTP status

    def summary(self) -> list[tuple[str, str]]:
        counts = self.counts or {}
        by_status = ", ".join(f"{n} x {status}" for status, n in sorted(counts.items())) or "none"
        return [("served", f"{self.url} for {self.seconds:.0f}s"), ("requests", f"{sum(counts.values())} ({by_status})")]


def load_tagger(config: ServeConfig) -> Tagger:
    """The head and its backbone, checked and loaded once (minutes for a 7B model, seconds here)."""
    check_listen(config)
    return Tagger.from_pretrained(config.head, config.model, gguf_file=config.gguf_file, device=config.device,
                                  dtype=config.dtype, batch_tokens=config.batch_tokens,
                                  allow_other_backbone=config.allow_other_backbone)


def check_listen(config: ServeConfig) -> None:
    if not 0 <= config.port <= 65535:
        raise PiiTaggerError(f"`port` must be in 0-65535, got {config.port}")
    if config.max_bytes < 1 or config.max_chars < 1:
        raise PiiTaggerError(f"`max_bytes` and `max_chars` must be positive, got {config.max_bytes} and "
                             f"{config.max_chars}")
    if config.batch_wait_ms < 0:
        raise PiiTaggerError(f"`batch_wait_ms` must be zero or positive, got {config.batch_wait_ms}")


def run_server(config: ServeConfig, on_ready=None) -> ServeResult:
    """Load the tagger, then serve until interrupted (Ctrl-C); `on_ready(url)` once it listens."""
    import uvicorn

    check_listen(config)
    if not LOG.handlers:  # the access lines, to stderr; third-party loggers keep their own levels
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
        LOG.addHandler(handler)
        LOG.setLevel(logging.INFO)
    app = create_app(load_tagger(config), config)
    server = uvicorn.Server(uvicorn.Config(app, host=config.host, port=config.port, access_log=False,
                                           log_level="warning", lifespan="off"))
    result = ServeResult(f"http://{config.host}:{config.port}", counts=app.state.counts)
    started = time.perf_counter()
    try:
        asyncio.run(_serve_announced(server, result, on_ready))
    except KeyboardInterrupt:  # uvicorn shuts down gracefully on Ctrl-C, then raises the signal again
        pass
    result.seconds = time.perf_counter() - started
    return result


async def _serve_announced(server, result: ServeResult, on_ready) -> None:
    task = asyncio.create_task(server.serve())
    while not server.started and not task.done():
        await asyncio.sleep(0.05)
    if server.started:
        host, port = server.servers[0].sockets[0].getsockname()[:2]
        result.url = f"http://{host}:{port}"
        if on_ready is not None:
            on_ready(result.url)
    await task


def as_list(text: Texts) -> list[str]:
    return text if isinstance(text, list) else [text]


def error_response(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def validation_message(item: dict) -> str:
    """Pydantic's error as "field: reason", without echoing the input value back."""
    loc = [str(part) for part in item.get("loc", ()) if part != "body"]
    if item.get("type") == "json_invalid":
        return "the body is not valid JSON"
    if loc[:1] == ["text"] and item.get("type") in ("string_type", "list_type"):
        return "text: expected a string, or a list of strings"
    if not loc and item.get("type") in ("model_attributes_type", "dict_type"):
        return "the body must be a JSON object, sent with Content-Type: application/json"
    return f"{'.'.join(loc) or 'body'}: {item.get('msg', 'invalid')}"


class BodyLimit:
    """Refuse a request body over `max_bytes` with 413 before anything parses it (announced or not)."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        announced = dict(scope.get("headers") or []).get(b"content-length")
        if announced is not None and (not announced.isdigit() or int(announced) > self.max_bytes):
            return await self._too_large(scope, receive, send)
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                scope["client_left"] = True  # for the access line: 499, nobody to answer
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                return await self._too_large(scope, receive, send)
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _too_large(self, scope, receive, send):
        await error_response(413, f"the request body is over {self.max_bytes} bytes (max_bytes)")(scope, receive, send)


class AccessLog:
    """One line per request: method, path (never the query, which may hold a text), status, time;
    and counts by status for the closing summary."""

    def __init__(self, app, counts: dict[int, int]):
        self.app, self.counts = app, counts

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started, status = time.perf_counter(), [500]

        async def record(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            code = 499 if scope.get("client_left") else status[0]
            self.counts[code] = self.counts.get(code, 0) + 1
            path = scope["path"] if scope["path"] in ROUTES else "(another path)"  # a path may hold anything
            LOG.info("%s %s %d %.1f ms", scope["method"], path, code, (time.perf_counter() - started) * 1000)
