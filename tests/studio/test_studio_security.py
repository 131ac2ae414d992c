"""Who may use the studio: loopback only by default; any other bind needs a token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bme_bot.cli import main
from bme_bot.errors import ConfigError
from bme_bot.studio.security import TOKEN_HEADER, check_bind, is_loopback
from bme_bot.studio.server import make_app

TOKEN = "a-test-token-of-some-length"


def test_a_non_loopback_bind_needs_a_token() -> None:
    for host in ("0.0.0.0", "192.168.1.20", "::", "example.org"):
        assert not is_loopback(host)
        with pytest.raises(ConfigError):
            check_bind(host, None)
        check_bind(host, TOKEN)  # with a token it may
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        check_bind(host, None)


def test_the_command_refuses_a_missing_flow_before_binding(capsys: Any) -> None:
    assert main(["studio", "no/such/flow.yaml", "--port", "1"]) == 2
    assert "no flow file" in capsys.readouterr().err


async def test_every_request_needs_the_token(flows_dir: Path, open_space: Any) -> None:
    server = TestServer(make_app(open_space(flows_dir), token=TOKEN))
    async with TestClient(server) as client:
        assert (await client.get("/")).status == 403
        assert (await client.get("/api/flow", params={"token": "wrong"})).status == 403
        assert (await client.get("/api/flow", headers={TOKEN_HEADER: TOKEN[:-1]})).status == 403
        response = await client.post("/api/chat", json={"chat": "x"})
        assert response.status == 403
        response = await client.get("/api/flow", headers={TOKEN_HEADER: TOKEN})
        assert response.status == 200
        page = await client.get("/", params={"token": TOKEN})
        assert page.status == 200
        assert "HttpOnly" in page.headers["Set-Cookie"]
        # the page's own requests carry the cookie it was given
        assert (await client.get("/api/graph.svg")).status == 200


async def test_loopback_refuses_a_foreign_host_name(client: Any) -> None:
    """A page on another site that resolves its name to 127.0.0.1 gets nothing."""
    assert (await client.get("/api/flow", headers={"Host": "evil.example:8080"})).status == 403
    assert (await client.get("/api/flow", headers={"Host": "localhost:8080"})).status == 200
