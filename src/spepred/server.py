"""HTTP service over :mod:`spepred.api` (FastAPI): ``POST /predict``, ``GET /health``,
``GET /chemicals``, ``GET /model``; OpenAPI at ``/docs``.

Bad input is answered with 422 and the same messages as the CLI; a list of formulations
answers 200 with a ``status`` per item (bad items never stop the others), like the CLI's
batch mode. Limits: request body size, batch size, SMILES length, a time budget per batch.

Speed: requests go to :meth:`Predictor.predict_records` (no DataFrame per request, building
blocks cached across requests, one-thread boosters), responses are built from the
prediction itself (no second validation), and the body limit is plain ASGI middleware.
"""

import asyncio
import gc
import math
import os
import time
from collections import deque
from pathlib import Path
from typing import Annotated, Any

from fastapi import Body, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from spepred.chem.mol import MAX_SMILES_LENGTH
from spepred.errors import FormulationError, SpepredError

MAX_BATCH = 1000
INLINE_ROWS = 16
#: Time budget of one batch request (seconds): rows are predicted in chunks and, once the
#: budget is spent, the rows not yet started come back with a ``status`` saying so.
REQUEST_DEADLINE_S = 30.0
DEADLINE_CHUNK = 64
MAX_BODY_BYTES = 2 * 1024 * 1024
_TEXT = 512  # names and lists of names


class Formulation(BaseModel):
    """One electrolyte formulation (the formulation-table schema)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"monomer_smiles": "C=CC(=O)OCCO", "crosslinker": "PETEA", "salt": "LiTFSI", "temperature_C": 25}
            ]
        },
    )

    monomer_smiles: str = Field(
        ..., min_length=1, max_length=MAX_SMILES_LENGTH,
        description="matrix monomers / repeat units ([*] ends), several joined with '.'",
    )
    crosslinker: str | None = Field(None, max_length=MAX_SMILES_LENGTH, description="name(s) or SMILES; several with ';'")
    crosslink_type: str | None = Field(None, max_length=64, description="h_bond, ..., small_molecule, none")
    filler: str | None = Field(None, max_length=_TEXT, description="filler name(s)")
    filler_wt_pct: float | None = Field(None, description="filler loading, wt%")
    salt: str | None = Field(None, max_length=_TEXT, description="lithium salt name or SMILES (default LiTFSI)")
    salt_molality_mol_kg: float | None = Field(None, description="mol salt / kg polymer")
    mw_g_mol: float | None = Field(None, description="polymer molecular weight, g/mol")
    plasticized: bool | None = Field(None, description="liquid electrolyte or plasticizer present")
    temperature_C: float | None = Field(25.0, description="temperature, °C (-100 to 300)")


class Prediction(BaseModel):
    """Predictions for one formulation (NaN-free: missing values are null)."""

    model_config = ConfigDict(extra="allow")

    log10_sigma_S_cm_pred: float | None = None
    log10_sigma_S_cm_lo: float | None = None
    log10_sigma_S_cm_hi: float | None = None
    sigma_S_cm_pred: float | None = None
    esw_V_pred: float | None = None
    esw_V_lo: float | None = None
    esw_V_hi: float | None = None
    strength_MPa_pred: float | None = None
    strength_MPa_lo: float | None = None
    strength_MPa_hi: float | None = None
    domain_similarity: float | None = None
    unseen_fragments: int | None = None
    in_domain: bool = False
    warnings: str = ""
    model_version: str
    status: str


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


class Coalescer:
    """Single-formulation requests that arrive together share one prediction call.

    Before it looks at a row, XGBoost spends about a millisecond per call walking the σ
    model's trees, more than the rest of a formulation's prediction. While one call runs
    (in a worker thread, so that the event loop keeps reading requests), the requests that
    arrive queue up; they then go together in the next call, and each gets its own rows
    back. Rows are predicted independently, so a row's result does not depend on its
    companions (a test pins that); a bad row is predicted again on its own in strict mode
    so that its 422 says exactly what a lone request would.
    """

    def __init__(self, predictor, *, max_rows: int = 64) -> None:
        self.predictor, self.max_rows = predictor, max_rows
        self._pending: deque[tuple[list[dict], asyncio.Future]] = deque()
        self._running = False
        self._task: asyncio.Task | None = None  # referenced, so that it is not collected

    async def predict(self, rows: list[dict]) -> list[dict]:
        future = asyncio.get_running_loop().create_future()
        self._pending.append((rows, future))
        if not self._running:
            self._running = True
            self._task = asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch, n = [], 0
                while self._pending and (not batch or n + len(self._pending[0][0]) <= self.max_rows):
                    item = self._pending.popleft()
                    batch.append(item)
                    n += len(item[0])
                rows = [r for item_rows, _ in batch for r in item_rows]
                try:
                    records = await run_in_threadpool(self.predictor.predict_records, rows, source="request")
                except Exception as err:  # every waiting request gets it (500 unless a SpepredError)
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(err)
                    continue
                start = 0
                for item_rows, future in batch:
                    if not future.done():  # a client that went away cancelled its future
                        future.set_result(records[start : start + len(item_rows)])
                    start += len(item_rows)
        finally:
            self._running = False


def predict_within(predictor, rows: list[dict], deadline_s: float, chunk: int = DEADLINE_CHUNK) -> list[dict]:
    """Predict ``rows`` in chunks until ``deadline_s`` seconds have passed; every row not yet
    started then gets a ``status`` naming the budget (nothing is dropped, nothing hangs:
    a request costs at most the budget plus one chunk). Rows are predicted independently,
    so a chunk's rows are what a whole-batch call would give."""
    from spepred.models.predictor import OUTPUT_COLUMNS

    t0 = time.perf_counter()
    out: list[dict] = []
    for start in range(0, len(rows), chunk):
        if start and time.perf_counter() - t0 > deadline_s:
            why = (
                f"not predicted: the request's time budget of {deadline_s:g} s ran out after "
                f"{start} of {len(rows)} rows; send the rest in another request"
            )
            empty = {c: None for c in OUTPUT_COLUMNS} | {
                "unseen_fragments": -1, "in_domain": False, "warnings": "", "model_version": predictor.model_version,
            }
            out += [{**r, **empty, "status": why} for r in rows[start:]]
            break
        out += predictor.predict_records(rows[start : start + chunk], source="request")
    return out


def create_app(
    model: str | Path | None = None, *, max_batch: int = MAX_BATCH, deadline_s: float = REQUEST_DEADLINE_S
) -> FastAPI:
    """The FastAPI application serving one model bundle (default: ``$SPEPRED_MODEL``, then
    the shipped bundle). A batch request gets ``deadline_s`` seconds (see
    :func:`predict_within`)."""
    from spepred import api
    from spepred.chem.dictionary import load_dictionary

    predictor = api.load_predictor(model, n_jobs=1)
    info = predictor.info()
    # warm the caches once, then move everything loaded so far out of the garbage
    # collector's way (long-lived objects otherwise make full collections slow: p99)
    predictor.predict_records([{"monomer_smiles": "C=CC(=O)OCCO", "crosslinker": "PETEA"}])
    gc.collect()
    gc.freeze()
    coalescer = Coalescer(predictor)
    app = FastAPI(
        title="spepred",
        version=info["model_version"],
        description=(
            "Ionic conductivity (S/cm), electrochemical window (V) and strength (MPa) of "
            "crosslinked solid polymer electrolytes, with 90 % intervals and a domain flag."
        ),
    )

    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)

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
    def health() -> dict:
        return {"status": "ok", "model_version": predictor.model_version}

    @app.get("/model")
    def model_info() -> dict:
        return {**info, "warnings": predictor.target_warnings()}

    @app.get("/chemicals")
    def chemicals(
        role: Annotated[str | None, Query(max_length=32, description="filter by role, e.g. crosslinker")] = None,
    ) -> list[dict]:
        records = load_dictionary().to_records()
        if role:
            records = [r for r in records if role in r["roles"]]
        return records

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
    ):
        single = isinstance(body, Formulation)
        rows = [f.model_dump() for f in ([body] if single else body)]
        try:
            if single:
                records = await coalescer.predict(rows)
                if records[0]["status"] != "ok":  # the lone request's own 422 message
                    records = predictor.predict_records(rows, source="request", strict=True)
            elif len(rows) <= INLINE_ROWS:  # a millisecond or two: cheaper than a thread hop
                records = predictor.predict_records(rows, source="request")
            else:
                records = await run_in_threadpool(predict_within, predictor, rows, deadline_s)
        except FormulationError as err:
            e = err.error
            return _error(422, [{"loc": ["body", e.column], "msg": str(err), "input": _clean(e.value)}])
        # the records are built from the prediction itself: skip re-validating them
        return JSONResponse(records[0] if single else records)

    return app


def serve(
    model: str | Path | None = None, *, host: str = "127.0.0.1", port: int = 8000, workers: int = 1
) -> None:
    """Run the service with uvicorn (loopback unless told otherwise).

    ``workers`` > 1 starts that many processes, each with its own copy of the model (the
    model path reaches them through ``$SPEPRED_MODEL``).
    """
    import uvicorn

    options = dict(host=host, port=port, log_level="warning", access_log=False, timeout_keep_alive=5)
    if workers > 1:
        if model is not None:
            from spepred.api import MODEL_ENV

            os.environ[MODEL_ENV] = str(Path(model).resolve())
        uvicorn.run("spepred.server:create_app", factory=True, workers=workers, **options)
    else:
        uvicorn.run(create_app(model), **options)
