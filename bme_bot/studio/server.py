"""The studio's HTTP side on aiohttp: one page, its two static files, and a small JSON API.

GET  /                  the page          GET  /api/flow        flows, errors, node details
GET  /static/{file}     script and style  GET  /api/graph.svg   the picture
POST /api/chat          start or act      GET  /api/check       the proofs (waits for them)
POST /api/replay        a counterexample  POST /api/reload      read the YAML again
POST /api/select        another flow      GET  /api/transcript  the chat as a transcript
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

from aiohttp import web

from bme_bot.core.engine import FlowStuck
from bme_bot.studio.chat import ActionError
from bme_bot.studio.details import node_details
from bme_bot.studio.replay import replay_answers
from bme_bot.studio.security import guard
from bme_bot.studio.transcript import transcript_yaml, verify
from bme_bot.studio.view import chat_view
from bme_bot.studio.workspace import Workspace

WORKSPACE = web.AppKey("workspace", Workspace)
STATIC = {
    "studio.js": "text/javascript",
    "graph.js": "text/javascript",
    "panels.js": "text/javascript",
    "studio.css": "text/css",
}
CHAT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def make_app(workspace: Workspace, token: str | None = None) -> web.Application:
    app = web.Application(middlewares=[guard(token)], client_max_size=64 * 1024)
    app[WORKSPACE] = workspace
    app.router.add_get("/", _page)
    app.router.add_get("/static/{name}", _static)
    app.router.add_get("/api/flow", _flow)
    app.router.add_get("/api/graph.svg", _graph)
    app.router.add_post("/api/chat", _chat)
    app.router.add_post("/api/replay", _replay)
    app.router.add_post("/api/reload", _reload)
    app.router.add_post("/api/select", _select)
    app.router.add_post("/api/locale", _locale)
    app.router.add_get("/api/check", _check)
    app.router.add_get("/api/transcript", _transcript)
    return app


def _asset(name: str) -> str:
    return resources.files("bme_bot.studio").joinpath("static", name).read_text(encoding="utf-8")


async def _page(request: web.Request) -> web.Response:
    return web.Response(text=_asset("index.html"), content_type="text/html")


async def _static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in STATIC:
        raise web.HTTPNotFound()
    return web.Response(text=_asset(name), content_type=STATIC[name])


def _space(request: web.Request) -> Workspace:
    return request.app[WORKSPACE]


def _flow_info(space: Workspace) -> dict[str, Any]:
    engine, graph = space.engine, space.graph
    info: dict[str, Any] = {
        "flows": [p.name for p in space.flows],
        "selected": space.selected.name,
        "source": space.source,
        "errors": space.errors,
        "locales": space.locales,
        "locale": space.settings.locale,
        "generation": space.generation,
        "title": "",
        "nodes": {},
    }
    if engine is not None and graph is not None:
        info["title"] = engine.flow.title or engine.flow.id
        info["version"] = engine.flow.version
        info["nodes"] = node_details(engine, graph, space.source)
    return info


async def _flow(request: web.Request) -> web.Response:
    return web.json_response(_flow_info(_space(request)))


async def _graph(request: web.Request) -> web.Response:
    return web.Response(text=_space(request).svg, content_type="image/svg+xml")


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="studio: not JSON") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="studio: send a JSON object")
    return body


def _chat_id(value: Any) -> str:
    if not isinstance(value, str) or not CHAT_ID.match(value):
        raise web.HTTPBadRequest(text="studio: a chat id is letters, digits, - and _")
    return value


async def _view(space: Workspace, chat_id: str, *, fresh: bool = False) -> dict[str, Any]:
    chat = await space.chat(chat_id, fresh=fresh)
    if chat is None or space.engine is None or space.graph is None:
        raise web.HTTPConflict(text="studio: the flow does not load; see the errors")
    return {
        "generation": space.generation,
        **chat_view(chat, space.engine, space.graph, space.source),
    }


async def _chat(request: web.Request) -> web.Response:
    space, body = _space(request), await _body(request)
    chat_id = _chat_id(body.get("chat"))
    action = body.get("action")
    if isinstance(action, dict):
        chat = await space.chat(chat_id)
        if chat is None:
            raise web.HTTPConflict(text="studio: the flow does not load; see the errors")
        try:
            await chat.act(action)
        except ActionError as exc:
            raise web.HTTPBadRequest(text=f"studio: {exc}") from None
        except FlowStuck as exc:  # `check` reports this as a structure failure (P6)
            raise web.HTTPConflict(text=f"studio: the flow is stuck: {exc}") from None
    return web.json_response(await _view(space, chat_id, fresh=bool(body.get("fresh"))))


async def _replay(request: web.Request) -> web.Response:
    space, body = _space(request), await _body(request)
    chat_id = _chat_id(body.get("chat"))
    answers = body.get("answers")
    if not isinstance(answers, list) or not all(
        isinstance(a, list) and len(a) == 2 and all(isinstance(x, str) for x in a) for a in answers
    ):
        raise web.HTTPBadRequest(text="studio: answers are [fact, value] pairs")
    chat = await space.chat(chat_id)
    if chat is None:
        raise web.HTTPConflict(text="studio: the flow does not load; see the errors")
    try:
        await replay_answers(chat, [(a[0], a[1]) for a in answers])
    except FlowStuck as exc:
        raise web.HTTPConflict(text=f"studio: the flow is stuck: {exc}") from None
    return web.json_response(await _view(space, chat_id))


async def _reload(request: web.Request) -> web.Response:
    space = _space(request)
    space.load(keep_chats=True)
    return web.json_response(_flow_info(space))


async def _select(request: web.Request) -> web.Response:
    space, body = _space(request), await _body(request)
    if not space.select(str(body.get("name", ""))):
        raise web.HTTPNotFound(text="studio: no such flow here")
    return web.json_response(_flow_info(space))


async def _locale(request: web.Request) -> web.Response:
    space, body = _space(request), await _body(request)
    if not space.select_locale(str(body.get("name", ""))):
        raise web.HTTPNotFound(text="studio: no content in that language")
    return web.json_response(_flow_info(space))


async def _check(request: web.Request) -> web.Response:
    space = _space(request)
    generation = space.generation
    result = await space.proofs()
    return web.json_response({"generation": generation, **result})


async def _transcript(request: web.Request) -> web.Response:
    space = _space(request)
    chat = space.chats.get(_chat_id(request.query.get("chat")))
    if chat is None or space.engine is None:
        raise web.HTTPNotFound(text="studio: no conversation to save")
    name = request.query.get("name", "").strip()[:80] or "studio conversation"
    text = transcript_yaml(chat, name)
    problem = verify(space.engine, text)
    filename = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_") or "studio"
    return web.Response(
        text=text,
        content_type="application/x-yaml",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}.yaml"',
            "X-Transcript-Replay": (problem or "OK").encode("ascii", "replace").decode(),
        },
    )
