"""Operations endpoints: liveness, readiness, metrics. No sign-in: keep them off the
public network (see docs/operations.md)."""
from __future__ import annotations

from functools import lru_cache

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from civicloop.api.problems import problem

router = APIRouter(tags=["operations"])
_HEALTHY = b'{"status":"ok"}'


@router.get("/healthz", summary="The process is alive (does not touch the database)")
async def healthz() -> Response:
    return Response(_HEALTHY, media_type="application/json")


def _schema_state(engine) -> tuple[str | None, tuple[str, ...]]:
    """(the database's revision, the code's heads); raises if the database is unreachable."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current, _heads()


@lru_cache(maxsize=1)
def _heads() -> tuple[str, ...]:
    from alembic.script import ScriptDirectory

    from civicloop.migrate import alembic_config
    return tuple(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


@router.get("/readyz", summary="Ready to serve: the database answers and its schema is the code's")
async def readyz(request: Request) -> Response:
    engine = request.app.state.engine
    try:
        current, heads = await run_in_threadpool(_schema_state, engine)
    except Exception as exc:  # noqa: BLE001 — any failure to reach the database means not ready
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        return problem(request, 503, "not ready", f"the database is unreachable: {exc.__class__.__name__}: "
                                                  f"{reason}", field="database")
    if current not in heads:
        return problem(request, 503, "not ready", f"the database schema is at {current or 'nothing'}, the code "
                                                  f"expects {', '.join(heads)}: run `civicloop db upgrade`",
                       field="schema", revision=current, expected=list(heads))
    return JSONResponse({"status": "ready", "revision": current, "database": engine.dialect.name})


@router.get("/metrics", summary="Prometheus metrics of every worker process")
async def metrics(request: Request) -> Response:
    from civicloop.ops.metrics import exposition
    body, content_type = await run_in_threadpool(exposition, request.app.state.engine)
    return Response(body, media_type=content_type)
