"""create_app(workspace_url): the Koers web app (FastAPI).

Everything it needs is served from installed packages, so it works
offline: plotly.js from the plotly package, Swagger UI from
fastapi-offline, the rest from koers/web/static.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from koers.kpis.compute import QueryError
from koers.periods import PeriodError
from koers.store import WorkspaceError
from koers.web.cockpit import Cockpit
from koers.web.params import BadRequest
from koers.web.render import error_page

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
API_PREFIX = "/api/v1"


def _plotly_js() -> bytes:
    return resources.files("plotly").joinpath("package_data", "plotly.min.js").read_bytes()


def _docs_assets() -> Path:
    return Path(str(resources.files("fastapi_offline").joinpath("static")))


def create_app(workspace_url: str, keep_open: float = 5.0) -> FastAPI:
    cockpit = Cockpit(workspace_url, keep_open=keep_open)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        cockpit.close()  # let the DuckDB file go for `koers import`

    app = FastAPI(
        title="Koers",
        summary="The sales-KPI cockpit: KPI catalogue, values and the records behind them.",
        version="1",
        docs_url=None,  # FastAPI's own pages load Swagger UI from a CDN; ours below do not
        redoc_url=None,  # ReDoc fetches its logo from its CDN whatever it is told
        lifespan=lifespan,
    )
    app.state.cockpit = cockpit
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount("/assets/docs", StaticFiles(directory=_docs_assets()), name="docs-assets")
    plotly_js = _plotly_js()

    @app.get("/assets/plotly.min.js", include_in_schema=False)
    def plotly() -> Response:
        return Response(plotly_js, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url, title="Koers API",
                                   swagger_js_url="/assets/docs/swagger-ui-bundle.js",
                                   swagger_css_url="/assets/docs/swagger-ui.css",
                                   swagger_favicon_url="/static/favicon.svg",
                                   # no badge from the online validator: the docs work offline
                                   swagger_ui_parameters={"validatorUrl": None})

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response((STATIC / "favicon.svg").read_bytes(), media_type="image/svg+xml")

    from koers.web.api import router as api_router
    from koers.web.pages import routers as page_routers

    app.include_router(api_router, prefix=API_PREFIX)
    for r in page_routers:
        app.include_router(r)
    _handle_errors(app)
    return app


def _handle_errors(app: FastAPI) -> None:
    """An unanswerable question is the asker's mistake (400, with the reason),
    never a server error; the API answers in JSON, pages in HTML."""

    def answer(request: Request, status: int, message: str) -> Response:
        if request.url.path.startswith(API_PREFIX):
            return JSONResponse({"detail": message}, status_code=status)
        return error_page(request, status, message)

    @app.exception_handler(BadRequest)
    @app.exception_handler(QueryError)
    @app.exception_handler(PeriodError)
    async def bad_request(request: Request, exc: Exception) -> Response:
        return answer(request, 400, str(exc))

    @app.exception_handler(WorkspaceError)
    async def busy(request: Request, exc: WorkspaceError) -> Response:
        # another program held the file longer than KOERS_LOCK_WAIT (a long import): not this server's fault
        return answer(request, 503, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return answer(request, exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception) -> Response:
        log.error("%s %s failed", request.method, request.url, exc_info=exc)
        return answer(request, 500, f"{type(exc).__name__}: {exc}")

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith(API_PREFIX):
            return JSONResponse({"detail": jsonable_encoder(exc.errors())}, status_code=422)
        return error_page(request, 400, "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
