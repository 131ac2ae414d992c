"""Studio fixtures: a workspace on a copy of the fixture flows and an HTTP client for it."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bme_bot.config import load_settings
from bme_bot.studio.server import make_app
from bme_bot.studio.workspace import Workspace

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
EXAMPLE = "flows_doc_example.yaml"
UNSAFE = "unsafe_flow.yaml"


@pytest.fixture()
def flows_dir(tmp_path: Path) -> Path:
    """A directory with the docs' example flow and the unsafe one, free to edit."""
    directory = tmp_path / "flows"
    directory.mkdir()
    for name in (EXAMPLE, UNSAFE):
        shutil.copy(FIXTURES / name, directory / name)
    return directory


@pytest.fixture()
def open_space() -> Callable[[Path], Workspace]:
    return lambda target: Workspace.open(load_settings({}), target)


@pytest.fixture()
async def client(
    flows_dir: Path, open_space: Callable[[Path], Workspace]
) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    """The studio on the example flow (first in the directory), loopback, no token."""
    async with TestClient(TestServer(make_app(open_space(flows_dir)))) as test_client:
        yield test_client
