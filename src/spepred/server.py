"""HTTP service over :mod:`spepred.api` (FastAPI): ``POST /predict``, ``GET /health``,
``GET /chemicals``, ``GET /model``; OpenAPI at ``/docs``; the web page at ``/`` (static
files shipped in :mod:`spepred.web`) with its helpers ``GET /structures``,
``GET /depict.svg``, ``POST /predict.csv``, ``POST /table`` and ``GET /screens``.

Bad input is answered with 422 and the same messages as the CLI; a list of formulations
answers 200 with a ``status`` per item (bad items never stop the others), like the CLI's
batch mode. Limits: request body size, batch size, SMILES length, a time budget per batch.

Speed: requests go to :meth:`Predictor.predict_records` (no DataFrame per request, building
blocks cached across requests, one-thread boosters), responses are built from the
prediction itself (no second validation), and the body limit is plain ASGI middleware.
More throughput comes from more processes (``spepred serve --workers N``, uvicorn's
workers, each with its own model), not from tricks inside one.

One prediction path: every ``POST /predict`` (one formulation or a list) joins the
:class:`PredictionQueue`, whose calls of :func:`predict_within` run in the thread pool
under the time budget; the CSV upload is the same loop over a DataFrame
(:func:`predict_frame_within`). The event loop never
predicts, nor does it call RDKit, so ``GET /health`` answers while large batches are being
worked on. Connections that send nothing, or do not finish sending their request within
``request_timeout_s``, are closed (:class:`ReadTimeoutProtocol`); idle keep-alive
connections after ``timeout_keep_alive`` seconds. ``Host`` headers outside the allow-list
are refused (400), so that a web page elsewhere cannot drive the local service through
DNS rebinding.
"""

import asyncio
import ipaddress
import json
import math
import os
import tempfile
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Body, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ConfigDict, Field, create_model
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from spepred.data.columns import FORMULATION, OUTPUT_COLUMNS, OUTPUTS, FormulationColumn, OutputColumn
from spepred.errors import FormulationError, SpepredError
from spepred.values import MAX_SMILES_LENGTH

MAX_BATCH = 1000
#: Time budget of one batch request (seconds): rows are predicted in chunks and, once the
#: budget is spent, the rows not yet started come back with a ``status`` saying so.
REQUEST_DEADLINE_S = 30.0
DEADLINE_CHUNK = 64
MAX_BODY_BYTES = 2 * 1024 * 1024
#: A connection must deliver a whole request (headers and body) this many seconds after it
#: opens or after its previous response; otherwise it is closed.
REQUEST_TIMEOUT_S = 10.0
#: Seconds an idle keep-alive connection is kept open.
KEEP_ALIVE_S = 5
#: ``Host`` names answered when the service listens on loopback (any port).
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
ALLOWED_HOSTS_ENV = "SPEPRED_ALLOWED_HOSTS"
#: Nearest labelled systems a request may ask for.
MAX_NEIGHBOURS = 20
WEB_DIR = Path(__file__).resolve().parent / "web"


_JSON_TYPES = {"matrix": str, "chemicals": str, "category": str, "number": float, "bool": bool}


def _request_field(col: FormulationColumn) -> tuple[Any, Any]:
    """A request field from a formulation column's declaration: its type, bounds, default
    and description (the temperature's default is shown as 25 in the schema)."""
    kind = _JSON_TYPES[col.kind]
    limits = {"max_length": col.max_length} if col.max_length and kind is str else {}
    if col.required:
        return kind, Field(..., min_length=1, description=col.description, **limits)
    default = col.default if col.kind == "number" and col.has_default else None
    unit = f", {col.unit}" if col.unit else ""
    return kind | None, Field(default, description=f"{col.description}{unit}", **limits)


#: One electrolyte formulation: a field per formulation column of :mod:`spepred.data.columns`
#: (a new column is a request field without an edit here).
Formulation = create_model(
    "Formulation",
    __config__=ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{c.name: c.example for c in FORMULATION if c.example is not None}]},
    ),
    __doc__="One electrolyte formulation (the formulation-table schema).",
    **{c.name: _request_field(c) for c in FORMULATION},
)

_PY_TYPES = {"float": float, "int": int, "bool": bool, "str": str}


def _response_field(col: OutputColumn) -> tuple[Any, Any]:
    kind = _PY_TYPES[col.type]
    if col.required:
        return kind, Field(..., description=col.description)
    if col.empty is not None:  # never null: a row not predicted has its empty value
        return kind, Field(col.empty, description=col.description)
    return kind | None, Field(None, description=col.description)


#: The prediction columns (:data:`~spepred.data.columns.OUTPUTS`, their types and meanings)
#: make the response model: a new output column is a response field without an edit here.
Prediction = create_model(
    "Prediction",
    __config__=ConfigDict(extra="allow"),
    __doc__="Predictions for one formulation (NaN-free: missing values are null).",
    **{name: _response_field(col) for name, col in OUTPUTS.items()},
)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def _error(status: int, messages: list[dict]) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": messages})


class BodyTooLarge(StarletteHTTPException):
    """Raised while reading a body sent without ``Content-Length`` (chunked) once it
    passes the limit: FastAPI lets HTTP exceptions through, and the app answers 413."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"request body larger than {max_bytes} bytes")


class BodyLimit:
    """Refuse request bodies announced larger than ``max_bytes`` (413) or with a malformed
    ``Content-Length`` (400) before anything reads them; a body without a length (chunked
    transfer) is counted while it is read and refused once it passes ``max_bytes``, so it
    is never held in memory whole. Plain ASGI: Starlette's ``@app.middleware("http")``
    costs a task and a stream per request."""

    def __init__(self, app, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"content-length":
                    try:
                        too_big = int(value) > self.max_bytes
                    except ValueError:
                        text = value.decode("latin-1")
                        await _error(400, [{"msg": f"invalid Content-Length {text!r}"}])(scope, receive, send)
                        return
                    if too_big:
                        msg = f"request body larger than {self.max_bytes} bytes"
                        await _error(413, [{"msg": msg}])(scope, receive, send)
                        return
                    break
            else:  # no Content-Length: count the chunks as they arrive
                await self.app(scope, self._counting(receive), send)
                return
        await self.app(scope, receive, send)

    def _counting(self, receive):
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        return counted


@dataclass
class _Request:
    """One ``POST /predict``: its rows, whether it was one formulation (strict: a bad row is
    its 422), how many neighbours it asked for, and where its answer goes."""

    rows: list[dict]
    single: bool
    neighbours: int
    future: asyncio.Future


class PredictionQueue:
    """The one prediction path of ``POST /predict``: every request (one formulation or a
    list) joins a queue, and the queued requests are answered together in one call of
    ``answer`` in the thread pool, at most ``max_rows`` rows a call (a larger list goes
    alone).

    Why together: before it looks at a row, XGBoost spends about a millisecond per call
    walking the σ model's trees, more than the rest of a formulation's prediction, and
    prediction is Python holding the GIL: requests answered each in its own thread wait
    for each other anyway (p99 rose from 32-89 ms to 67-138 ms without the queue, with the
    same throughput: ``benchmarks/http_ab.py``). Rows are predicted independently, so a
    request's answer does not depend on its companions (a test pins that). More
    throughput comes from more processes (``spepred serve --workers N``).
    """

    def __init__(self, answer, *, max_rows: int = DEADLINE_CHUNK) -> None:
        self.answer, self.max_rows = answer, max_rows
        self._pending: deque[_Request] = deque()
        self._running = False
        self._task: asyncio.Task | None = None  # referenced, so that it is not collected

    async def predict(self, rows: list[dict], *, single: bool, neighbours: int = 0) -> list[dict]:
        """The request's records; raises what ``answer`` gave for it (a FormulationError)."""
        loop = asyncio.get_running_loop()
        request = _Request(rows, single, neighbours, loop.create_future())
        self._pending.append(request)
        if not self._running:
            self._running = True
            self._task = loop.create_task(self._drain())
        return await request.future

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch: list[_Request] = []
                n = 0
                while self._pending and (not batch or n + len(self._pending[0].rows) <= self.max_rows):
                    batch.append(self._pending.popleft())
                    n += len(batch[-1].rows)
                try:
                    answers = await run_in_threadpool(self.answer, batch)
                except Exception as err:  # every waiting request gets it (a 500)
                    answers = [err] * len(batch)
                for request, answer in zip(batch, answers, strict=True):
                    if request.future.done():  # a client that went away cancelled it
                        continue
                    if isinstance(answer, Exception):
                        request.future.set_exception(answer)
                    else:
                        request.future.set_result(answer)
        finally:
            self._running = False


def predict_within(
    predictor, rows: list[dict], deadline_s: float, chunk: int = DEADLINE_CHUNK, *, strict: bool = False
) -> list[dict]:
    """The rows of one :class:`PredictionQueue` call (in the thread pool).

    Predicts ``rows`` in chunks until ``deadline_s`` seconds have passed; every row not yet
    started then gets a ``status`` naming the budget (nothing is dropped, nothing hangs:
    a request costs at most the budget plus one chunk). Rows are predicted independently,
    so a chunk's rows are what a whole-batch call would give. ``strict``: a bad row raises
    :class:`~spepred.errors.FormulationError` (a single formulation's 422).
    """

    t0 = time.perf_counter()
    out: list[dict] = []
    for start in range(0, len(rows), chunk):
        if start and time.perf_counter() - t0 > deadline_s:
            why = (
                f"not predicted: the request's time budget of {deadline_s:g} s ran out after "
                f"{start} of {len(rows)} rows; send the rest in another request"
            )
            empty = {c: OUTPUTS[c].empty for c in OUTPUT_COLUMNS} | {"model_version": predictor.model_version}
            out += [{**r, **empty, "status": why} for r in rows[start:]]
            break
        out += predictor.predict_records(rows[start : start + chunk], source="request", strict=strict)
    return out


def predict_frame_within(predictor, table, deadline_s: float, chunk: int = DEADLINE_CHUNK):
    """:func:`predict_within` for a DataFrame (an uploaded CSV): chunks until the budget is
    spent, then every row not started comes back with the budget ``status``."""
    import pandas as pd


    t0 = time.perf_counter()
    parts = []
    for start in range(0, len(table), chunk):
        if start and time.perf_counter() - t0 > deadline_s:
            why = (
                f"not predicted: the upload's time budget of {deadline_s:g} s ran out after "
                f"{start} of {len(table)} rows; upload the rest separately"
            )
            rest = table.iloc[start:].drop(columns=[c for c in OUTPUT_COLUMNS if c in table.columns])
            empty = pd.DataFrame({c: [None] * len(rest) for c in OUTPUT_COLUMNS}, index=rest.index)
            empty = empty.assign(
                unseen_fragments=-1, in_domain=False, warnings="", model_version=predictor.model_version, status=why
            )
            parts.append(pd.concat([rest, empty], axis=1))
            break
        parts.append(predictor.predict(table.iloc[start : start + chunk], source="upload"))
    return pd.concat(parts) if parts else predictor.predict(table, source="upload")


def _read_timeout_protocol():
    """uvicorn's httptools protocol with a deadline for reading each request.

    uvicorn drops a keep-alive connection that stays idle after a response, but a
    connection that opens and sends nothing, or sends half a request line or half its
    headers and stops (slowloris), is otherwise held open for ever. The timer starts when
    the connection opens and again when a request begins; it stops once the request has
    been read in full.
    """
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class ReadTimeoutProtocol(HttpToolsProtocol):
        request_timeout_s = REQUEST_TIMEOUT_S

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self._read_timer = self.loop.call_later(self.request_timeout_s, self._read_timeout)

        def _arm(self) -> None:
            self._disarm()
            self._read_timer = self.loop.call_later(self.request_timeout_s, self._read_timeout)

        def _disarm(self) -> None:
            timer = getattr(self, "_read_timer", None)
            if timer is not None:
                timer.cancel()
                self._read_timer = None

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()  # the next request (or nothing) must come in time too

        def on_message_complete(self) -> None:
            self._disarm()
            super().on_message_complete()

        def connection_lost(self, exc) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _read_timeout(self) -> None:
            self._read_timer = None
            if self.cycle is not None and not self.cycle.response_complete and not self.cycle.more_body:
                return  # the request was read; the app is still answering it
            if not self.transport.is_closing():
                self.transport.close()

    return ReadTimeoutProtocol


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a bind address) is reachable from this machine only."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_warning(host: str) -> str:
    """The warning printed for a non-loopback bind address ('' for loopback)."""
    if is_loopback(host):
        return ""
    return (
        f"warning: listening on {host}: every machine that can reach it may use this service, with "
        "no login and no encryption. To share it, keep spepred on 127.0.0.1 and put a reverse proxy "
        "with TLS and authentication in front of it (README, HTTP section); pass --allowed-host "
        "with the name clients will use"
    )


def default_allowed_hosts(host: str) -> list[str]:
    """The ``Host`` allow-list when none is given: the loopback names for a loopback bind
    address; otherwise those plus the bind address itself (``*`` for a wildcard address,
    where the names clients use cannot be known: pass ``--allowed-host``)."""
    if is_loopback(host):
        return list(LOOPBACK_HOSTS)
    if host in ("0.0.0.0", "::", "[::]"):
        return ["*"]
    return [*LOOPBACK_HOSTS, host]


def _web_static() -> Path:
    return WEB_DIR / "static"


def create_app(
    model: str | Path | None = None,
    *,
    max_batch: int = MAX_BATCH,
    deadline_s: float = REQUEST_DEADLINE_S,
    allowed_hosts: list[str] | tuple[str, ...] | None = None,
    screens: list[str | Path] | tuple[str | Path, ...] = (),
) -> FastAPI:
    """The FastAPI application serving one model bundle (default: ``$SPEPRED_MODEL``, then
    the shipped bundle). A batch request gets ``deadline_s`` seconds (see
    :func:`predict_within`).

    ``allowed_hosts``: the ``Host`` names answered (default ``$SPEPRED_ALLOWED_HOSTS``,
    comma-separated, else any: :func:`serve` passes the loopback names). ``screens``:
    finished ``spepred screen`` output directories the page may browse.
    """
    from spepred import api
    from spepred.chem.dictionary import load_dictionary

    predictor = api.load_predictor(model, n_jobs=1)
    info = predictor.info()
    # warm the caches once (the first request would otherwise pay for them). No
    # gc.freeze(): it would hide the whole process's objects from the collector for ever
    predictor.predict_records([{"monomer_smiles": "C=CC(=O)OCCO", "crosslinker": "PETEA"}])
    if allowed_hosts is None and os.environ.get(ALLOWED_HOSTS_ENV):
        allowed_hosts = [h.strip() for h in os.environ[ALLOWED_HOSTS_ENV].split(",") if h.strip()]
    screen_dirs = [Path(d).resolve() for d in screens]
    for d in screen_dirs:
        if not (d / "summary.json").is_file():
            from spepred.errors import InvalidValueError

            raise InvalidValueError("--screen", str(d), "a finished `spepred screen` output directory (with summary.json)")
    app = FastAPI(
        title="spepred",
        version=info["model_version"],
        description=(
            "Ionic conductivity (S/cm), electrochemical window (V) and strength (MPa) of "
            "crosslinked solid polymer electrolytes, with 90 % intervals and a domain flag."
        ),
    )

    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
    if allowed_hosts and "*" not in allowed_hosts:
        # outermost: a request with a foreign Host header is refused before anything else
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        # the body is one formulation or a list: report only the branch the client sent
        branch = "list[Formulation]" if isinstance(exc.body, list) else "Formulation"
        detail = []
        for e in exc.errors():
            loc = list(e.get("loc", ()))
            if len(loc) > 1 and loc[0] == "body" and loc[1] in ("Formulation", "list[Formulation]"):
                if loc[1] != branch:
                    continue
                loc = ["body", *loc[2:]]
            detail.append({"loc": loc, "msg": e.get("msg", ""), "type": e.get("type", "")})
        return _error(422, detail)

    @app.exception_handler(SpepredError)
    async def _spepred(request: Request, exc: SpepredError):
        return _error(422, [{"msg": str(exc)}])

    @app.exception_handler(BodyTooLarge)
    async def _too_large(request: Request, exc: BodyTooLarge):
        return _error(413, [{"msg": exc.detail}])

    @app.get("/health")
    async def health() -> dict:  # on the loop itself: answers even when every worker thread is busy
        return {"status": "ok", "model_version": predictor.model_version}

    @app.get("/model")
    def model_info() -> dict:
        return {**info, "warnings": predictor.target_warnings(), "regime_warnings": predictor.regime_warnings()}

    @app.get("/chemicals")
    def chemicals(
        role: Annotated[str | None, Query(max_length=32, description="filter by role, e.g. crosslinker")] = None,
    ) -> list[dict]:
        records = load_dictionary().to_records()
        if role:
            records = [r for r in records if role in r["roles"]]
        return records

    def _neighbours(record: dict, k: int) -> list[dict]:
        fields = {c: record.get(c) for c in ("monomer_smiles", "crosslinker", "salt", "temperature_C")}
        return predictor.neighbours(k=k, **{c: v for c, v in fields.items() if v is not None})

    def _answer(batch: list[_Request]) -> list[list[dict] | Exception]:
        """The queued requests' predictions, in one call under the time budget (in the
        thread pool). A lone formulation with a bad row gets the strict prediction's
        error (its 422 names the field); a list gets a ``status`` per row."""
        records = predict_within(predictor, [r for request in batch for r in request.rows], deadline_s)
        out: list[list[dict] | Exception] = []
        start = 0
        for request in batch:
            mine = records[start : start + len(request.rows)]
            start += len(request.rows)
            if request.single:
                if mine[0]["status"] != "ok":
                    try:
                        mine = predictor.predict_records(request.rows, source="request", strict=True)
                    except FormulationError as err:
                        out.append(err)
                        continue
                if request.neighbours:
                    mine[0]["neighbours"] = _neighbours(mine[0], request.neighbours)
                    mine[0]["neighbours_note"] = predictor.neighbours_note
            out.append(mine)
        return out

    queue = PredictionQueue(_answer)

    @app.post(
        "/predict",
        response_model=Prediction | list[Prediction],
        responses={422: {"description": "invalid input (message names the field, value and reason)"}},
    )
    async def predict(
        body: Annotated[
            Formulation | Annotated[list[Formulation], Field(min_length=1, max_length=max_batch)],
            Body(description=f"one formulation, or a list of at most {max_batch}"),
        ],
        neighbours: Annotated[
            int,
            Query(ge=0, le=MAX_NEIGHBOURS, description="for one formulation: how many nearest labelled "
                  "training systems to add (`neighbours`, with their measured values and source)"),
        ] = 0,
    ):
        single = isinstance(body, Formulation)
        rows = [f.model_dump() for f in ([body] if single else body)]
        try:
            # every prediction runs in the thread pool: the event loop only moves bytes
            records = await queue.predict(rows, single=single, neighbours=neighbours)
        except FormulationError as err:
            e = err.error
            return _error(422, [{"loc": ["body", e.column], "msg": str(err), "input": _clean(e.value)}])
        # the records are built from the prediction itself: skip re-validating them
        return JSONResponse(records[0] if single else records)

    # -- what the web page needs beyond /predict ---------------------------------------
    bad_input = {422: {"description": "invalid input (message names the field, value and reason)"}}

    @app.get("/structures", responses=bad_input)
    async def structures(
        monomer_smiles: Annotated[str, Query(min_length=1, max_length=MAX_SMILES_LENGTH)],
        crosslinker: Annotated[str | None, Query(max_length=MAX_SMILES_LENGTH)] = None,
    ) -> dict:
        """The network units the model reads: each matrix input's repeat unit, each
        crosslinker's reacted form (canonical SMILES; draw them with ``/depict.svg``)."""
        from spepred.chem.depict import resolved_structures

        return await run_in_threadpool(resolved_structures, monomer_smiles, crosslinker)

    @app.get(
        "/depict.svg", response_class=Response, responses={200: {"content": {"image/svg+xml": {}}}, **bad_input}
    )
    async def depict(
        smiles: Annotated[str, Query(min_length=1, max_length=MAX_SMILES_LENGTH)],
        width: Annotated[int, Query(ge=60, le=800)] = 260,
        height: Annotated[int, Query(ge=60, le=800)] = 180,
    ) -> Response:
        """An RDKit SVG drawing of one SMILES (422 with the parser's message if invalid)."""
        from spepred.chem.depict import depict_svg

        svg = await run_in_threadpool(depict_svg, smiles, width=width, height=height)
        return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "max-age=3600"})

    def _read_upload(path: Path, text: bytes):
        """An uploaded CSV read exactly as ``spepred predict --input`` reads a file."""
        import csv

        from spepred.data.schema import read_table

        path.write_bytes(text)
        try:
            return read_table(path)
        except csv.Error as err:  # the header sniffing's own error: still the user's file
            raise SpepredError(f"cannot read the uploaded CSV: malformed ({err})") from None
        except SpepredError as err:  # name the upload, not the temporary file
            raise SpepredError(str(err).replace(str(path), "the uploaded CSV")) from None

    def _predict_csv(text: bytes) -> bytes:
        from spepred.data.schema import write_table

        with tempfile.TemporaryDirectory(prefix="spepred-upload-") as tmp:
            src, dst = Path(tmp) / "upload.csv", Path(tmp) / "predictions.csv"
            table = _read_upload(src, text)
            if len(table) > max_batch:
                raise SpepredError(
                    f"uploaded table has {len(table)} rows; the page predicts at most {max_batch} "
                    "(use `spepred predict --input` for more)"
                )
            pred = predict_frame_within(predictor, table, deadline_s)
            write_table(pred, dst)
            return dst.read_bytes()

    @app.post(
        "/predict.csv",
        response_class=Response,
        openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}, "required": True}},
        responses={200: {"content": {"text/csv": {}}}, 413: {"description": "body over 2 MiB"}, **bad_input},
    )
    async def predict_csv(request: Request) -> Response:
        """A formulation table as CSV in (the body), predictions as CSV out: every row, in
        order, with its ``status`` (as ``spepred predict --input``)."""
        body = await request.body()
        data = await run_in_threadpool(_predict_csv, body)
        return Response(
            data, media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="predictions.csv"'},
        )

    def _table_records(text: bytes) -> list[dict]:
        with tempfile.TemporaryDirectory(prefix="spepred-upload-") as tmp:
            table = _read_upload(Path(tmp) / "table.csv", text)
        return json.loads(table.to_json(orient="records"))

    @app.post(
        "/table",
        responses={413: {"description": "body over 2 MiB"}, **bad_input},
        openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}, "required": True}},
    )
    async def table(request: Request) -> list[dict]:
        """A CSV (for example a screen's ``pareto.csv`` or ``top.csv``) read as the CLI reads
        it, as JSON records (the page's browser of screen results)."""
        return await run_in_threadpool(_table_records, await request.body())

    def _screen(i: int, directory: Path) -> dict:
        from spepred.data.schema import read_table

        out: dict[str, Any] = {"id": i, "path": str(directory), "name": directory.name}
        summary = directory / "summary.json"
        out["summary"] = json.loads(summary.read_text("utf-8")) if summary.is_file() else None
        for name in ("pareto", "top"):
            f = directory / f"{name}.csv"
            out[name] = json.loads(read_table(f).to_json(orient="records")) if f.is_file() else []
        return out

    @app.get("/screens")
    async def list_screens() -> list[dict]:
        """The screen output directories given to ``spepred serve --screen``."""
        return [{"id": i, "path": str(d), "name": d.name} for i, d in enumerate(screen_dirs)]

    @app.get("/screens/{screen_id}", responses={404: {"description": "no such screen"}})
    async def get_screen(screen_id: int) -> dict:
        """One screen's summary, Pareto front and top list."""
        if not 0 <= screen_id < len(screen_dirs):
            return _error(404, [{"msg": f"no screen {screen_id} (this server has {len(screen_dirs)})"}])
        return await run_in_threadpool(_screen, screen_id, screen_dirs[screen_id])

    static = _web_static()
    if static.is_dir():
        app.mount("/static", StaticFiles(directory=static), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> Response:
        page = static / "index.html"
        if not page.is_file():
            return _error(404, [{"msg": "the web page is not installed with this spepred"}])
        return FileResponse(page, media_type="text/html", headers={"Cache-Control": "no-cache"})

    return app


def serve(
    model: str | Path | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    allowed_hosts: list[str] | None = None,
    screens: list[str | Path] | tuple[str | Path, ...] = (),
    request_timeout_s: float = REQUEST_TIMEOUT_S,
) -> None:
    """Run the service with uvicorn (loopback unless told otherwise).

    ``workers`` > 1 starts that many processes, each with its own copy of the model (the
    model path reaches them through ``$SPEPRED_MODEL``). ``allowed_hosts`` defaults to
    :func:`default_allowed_hosts`; ``request_timeout_s`` bounds how long a connection may
    take to send one request.
    """
    import uvicorn

    hosts = list(allowed_hosts) if allowed_hosts else default_allowed_hosts(host)
    protocol = _read_timeout_protocol()
    protocol.request_timeout_s = float(request_timeout_s)
    options = dict(
        host=host, port=port, log_level="warning", access_log=False, timeout_keep_alive=KEEP_ALIVE_S,
        http=protocol,
    )
    if workers > 1:
        if model is not None:
            from spepred.api import MODEL_ENV

            os.environ[MODEL_ENV] = str(Path(model).resolve())
        os.environ[ALLOWED_HOSTS_ENV] = ",".join(hosts)
        if screens:
            raise ValueError("--screen needs a single worker")
        uvicorn.run("spepred.server:create_app", factory=True, workers=workers, **options)
    else:
        uvicorn.run(create_app(model, allowed_hosts=hosts, screens=screens), **options)
