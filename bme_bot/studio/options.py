"""The studio's command-line options, apart from the server so that `bme-bot --help` and the
other commands do not import aiohttp."""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8080


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", nargs="?", type=Path, help="a flow file or a directory of flows")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="default 8080")
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help="default 127.0.0.1; any other address needs the token printed at start",
    )
    parser.add_argument("--content", type=Path, help="content directory (as for check)")
    parser.add_argument("--transcripts", type=Path, help="golden transcripts, for coverage")
