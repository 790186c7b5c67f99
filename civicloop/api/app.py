"""The application: `create_app()` builds it for one database; `civicloop serve` runs it.

Each domain's views (`<domain>/views.py`) are mounted here; Open311 under /open311/v2,
everything else under /api/v1. Operations (health, metrics, request logs) come from ops/.
"""
from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware

from civicloop import __version__
from civicloop.api import problems
from civicloop.db import engine_for, read_only
from civicloop.ops import middleware
from civicloop.settings import get_settings

API_PREFIX = "/api/v1"
# Answers worth compressing: lists, GeoJSON, scripts. Spreadsheets are zip files already; an
# answer that sets its own Content-Encoding (the grid's precompressed GeoJSON) passes as it is.
GZIP_MIN_BYTES = 1024
GZIP_SKIP = (*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "application/pdf")

DESCRIPTION = """The closed loop of a district's 12345 hotline and grid governance over HTTP:
intake from every channel, registration, dispatch, handling, verification, closing and rating.

Sign in with `POST /api/v1/auth/token` and send `Authorization: Bearer <token>`. Errors are
RFC 9457 problem details naming the field at fault. Open311 GeoReport v2 clients use
`/open311/v2/`."""


def create_app(database_url: str | None = None) -> FastAPI:
    url = database_url or get_settings().database_url
    app = FastAPI(title="civicloop", version=__version__, description=DESCRIPTION,
                  openapi_url="/openapi.json", docs_url="/docs", redoc_url=None)
    app.state.engine = engine_for(url)
    app.state.read_engine = read_only(app.state.engine)
    problems.install(app)
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MIN_BYTES, compresslevel=6, exclude_content_types=GZIP_SKIP)
    middleware.install(app)

    from civicloop.auth.views import router as auth_router
    from civicloop.cases.views import router as cases_router
    from civicloop.categories.views import router as categories_router
    from civicloop.departments.views import router as departments_router
    from civicloop.open311.views import router as open311_router
    from civicloop.ops.views import router as ops_router
    from civicloop.regions.outline import router as outline_router
    from civicloop.regions.views import router as regions_router
    from civicloop.sla.views import router as calendar_router
    from civicloop.users.views import router as users_router
    from civicloop.intake.views import router as intake_router
    from civicloop.addresses.views import router as addresses_router
    from civicloop.duplicates.views import router as duplicates_router
    from civicloop.notify.views import router as notify_router
    from civicloop.hot.views import router as hot_router
    from civicloop.reports.views import router as reports_router
    from civicloop.commitments.views import router as commitments_router
    from civicloop.assess.views import router as assess_router
    from civicloop.web.dashboard import router as dashboard_router
    from civicloop.web.views import router as web_router

    for router in (auth_router, cases_router, regions_router, departments_router, categories_router, users_router,
                   calendar_router, intake_router, addresses_router, duplicates_router, notify_router, hot_router,
                   reports_router, commitments_router, assess_router, dashboard_router, outline_router):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(open311_router, prefix="/open311/v2")
    app.include_router(ops_router)
    app.include_router(web_router)  # pages and their static files, at the root
    return app
