"""scripts/audit.sh decides correctly, checked against a fake vulnerability service (OSV's
API, on 127.0.0.1): an unexplained vulnerability fails, an explained one passes, an allowlist
entry without a reason is refused, and an unreachable service warns and passes."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from .figures import record
from .tgkit import ROOT, free_port

SCRIPT = ROOT / "scripts" / "audit.sh"
VULN = {
    "id": "GHSA-test-0000-0001",
    "aliases": ["CVE-2099-0001"],
    "summary": "A made-up vulnerability for the audit test",
    "schema_version": "1.4.0",
    "affected": [
        {
            "package": {"name": "pyyaml", "ecosystem": "PyPI"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "99.0"}]}],
        }
    ],
}


async def fake_osv() -> tuple[web.AppRunner, str]:
    async def query(request: web.Request) -> web.Response:
        body = await request.json()
        if body["package"]["name"] == "pyyaml":
            return web.json_response({"vulns": [VULN]})
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/v1/query", query)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/v1/query"


async def audit(url: str, allowlist: Path) -> tuple[int, str]:
    env: dict[str, Any] = {
        **os.environ,
        "CI": "true",
        "AUDIT_SERVICE": "osv",
        "AUDIT_OSV_URL": url,
        "AUDIT_ALLOWLIST": str(allowlist),
        "AUDIT_TIMEOUT": "5",
    }
    proc = await asyncio.create_subprocess_exec(
        str(SCRIPT),
        env=env,
        cwd=ROOT,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


@pytest.mark.skipif(not os.access(SCRIPT, os.X_OK), reason="scripts/audit.sh is not executable")
async def test_audit_script_decides_on_a_fake_vulnerability_service(tmp_path: Path) -> None:
    runner, url = await fake_osv()
    allowlist = tmp_path / "allow.txt"
    try:
        allowlist.write_text("# nothing allowed\n")
        code, out = await audit(url, allowlist)
        assert code == 1, out
        assert "UNEXPLAINED  pyyaml" in out and "CVE-2099-0001" in out

        allowlist.write_text(
            "CVE-2099-0001 pyyaml only the C loader is affected; we never use it\n"
        )
        code, out = await audit(url, allowlist)
        assert code == 0, out
        assert "explained  pyyaml" in out and "audit: OK" in out

        allowlist.write_text("CVE-2099-0001 pyyaml\n")
        code, out = await audit(url, allowlist)
        assert code == 2 and "real reason" in out, out
    finally:
        await runner.cleanup()
    closed = f"http://127.0.0.1:{free_port()}/v1/query"
    allowlist.write_text("")
    code, out = await audit(closed, allowlist)
    assert code == 0, out
    assert "WARNING: dependency audit NOT done" in out
    record("audit-script", cases=4, held=4)
