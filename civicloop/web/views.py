"""The pages and their static files, at the root: the staff console (/), the grid worker's
mobile page (/m), the citizen portal (/portal). The pages are plain HTML and ES modules
that work over the HTTP API; nothing here reads the database. Kept out of the OpenAPI
document: they are not part of the API."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Response
from fastapi.responses import FileResponse

from civicloop.auth.policy import INTAKE_CHANNELS
from civicloop.cases.lifecycle import RULES, STATE_LABELS, Rating
from civicloop.cases.models import CHANNELS
from civicloop.demo.cli import EVENT_LABELS
from civicloop.departments.service import KINDS
from civicloop.errors import NotFound
from civicloop.settings import node_modules_dirs

router = APIRouter(include_in_schema=False)
STATIC_DIR = Path(__file__).resolve().parent / "static"

# Files of npm packages the pages load, by the name they are served under at /static/vendor/.
VENDOR = {
    "echarts.min.js": "echarts/dist/echarts.min.js",
}
PAGES = {"/": "console.html", "/m": "mobile.html", "/portal": "portal.html"}
ROLE_LABELS = {
    "admin": "管理员", "operator": "受理员", "dispatcher": "派遣员", "handler": "承办单位",
    "grid_worker": "网格员", "supervisor": "督办/领导", "assessor": "考评员", "citizen": "市民",
}
RATING_LABELS = {Rating.SATISFIED: "满意", Rating.BASICALLY_SATISFIED: "基本满意", Rating.DISSATISFIED: "不满意"}
# Pages change with the code: the browser asks again each time (304 when unchanged).
NO_STALE = {"Cache-Control": "no-cache"}


def _page(name: str):
    def page() -> FileResponse:
        return FileResponse(STATIC_DIR / name, media_type="text/html; charset=utf-8", headers=NO_STALE)
    return page


for _path, _name in PAGES.items():
    router.add_api_route(_path, _page(_name), methods=["GET"])


@lru_cache(maxsize=1)
def labels_module() -> str:
    """The lifecycle's words for the pages, made from the rules themselves so the two
    never disagree: states, actions with what each needs, channels, roles, ratings, department kinds, each role's intake channels."""
    actions = {rule.action: {"label": rule.label,
                             "needs": [g.__name__.removeprefix("needs_") for g in rule.guards
                                       if g.__name__.startswith("needs_")]}
               for rule in RULES}
    labels = {"states": {s.value: label for s, label in STATE_LABELS.items()}, "actions": actions,
              "events": EVENT_LABELS, "channels": CHANNELS, "roles": ROLE_LABELS,
              "ratings": {r.value: label for r, label in RATING_LABELS.items()},
              "departmentKinds": KINDS,
              "intakeChannels": {role.value: list(channels) for role, channels in INTAKE_CHANNELS.items()}}
    return "// Made by civicloop/web/views.py from the lifecycle's rules.\n" + "".join(
        f"export const {name} = {json.dumps(value, ensure_ascii=False)};\n" for name, value in labels.items())


@router.get("/static/js/labels.js")
def labels() -> Response:
    return Response(labels_module(), media_type="text/javascript; charset=utf-8", headers=NO_STALE)


@router.get("/static/vendor/{name}")
def vendor(name: str) -> FileResponse:
    if name in VENDOR:
        for base in node_modules_dirs():
            path = base / VENDOR[name]
            if path.is_file():
                return FileResponse(path, media_type="text/javascript; charset=utf-8",
                                    headers={"Cache-Control": "public, max-age=86400"})
    raise NotFound("name", f"no vendor file {name!r} (is `make install` done?)")


@router.get("/static/{path:path}")
def static(path: str) -> FileResponse:
    target = (STATIC_DIR / path).resolve()
    if not target.is_file() or STATIC_DIR not in target.parents:
        raise NotFound("path", f"no static file {path!r}")
    return FileResponse(target, headers=NO_STALE)
