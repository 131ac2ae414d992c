"""`bme-bot studio`: build the workspace, print the address (with the token when one is
needed), and serve until Ctrl-C."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aiohttp import web

from bme_bot.config import Settings
from bme_bot.studio.security import check_bind, is_loopback, new_token
from bme_bot.studio.server import make_app
from bme_bot.studio.workspace import Workspace


def run_studio(args: argparse.Namespace, settings: Settings) -> int:
    host: str = args.host
    token = None if is_loopback(host) else new_token()
    check_bind(host, token)
    target: Path | None = args.target
    if target is not None and not target.exists():
        print(f"bme-bot: no flow file or directory {target}", file=sys.stderr)
        return 2
    try:
        space = Workspace.open(settings, target, content=args.content, transcripts=args.transcripts)
    except FileNotFoundError as exc:
        print(f"bme-bot: {exc}", file=sys.stderr)
        return 2
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{args.port}/" + (f"?token={token}" if token else "")
    print(f"bme-bot studio: open {url}  (Ctrl-C stops it)", flush=True)
    if token:
        print("bme-bot studio: every request needs this token; share the address with care.")
    web.run_app(make_app(space, token), host=host, port=args.port, print=None, access_log=None)
    return 0
