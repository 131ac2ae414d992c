"""deploy/bme-bot.service starts the entry point the package really installs.

The unit runs `<venv>/bin/bme-bot telegram`: `bme-bot` must be a script of pyproject.toml's
[project.scripts], its target must import and be callable, and `telegram` must be one of its
subcommands, so a rename of the script or the command breaks this test, not a server.
"""

from __future__ import annotations

import importlib
import shlex
import tomllib
from pathlib import Path

from bme_bot.cli import _parser

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "deploy" / "bme-bot.service"


def exec_start() -> list[str]:
    lines = [ln for ln in UNIT.read_text().splitlines() if ln.startswith("ExecStart=")]
    assert len(lines) == 1, "the unit needs exactly one ExecStart="
    return shlex.split(lines[0].split("=", 1)[1])


def test_the_unit_runs_a_script_the_package_installs() -> None:
    program, *args = exec_start()
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    name = Path(program).name
    assert name in scripts, f"{name} is not in [project.scripts]: {sorted(scripts)}"
    module, _, function = scripts[name].partition(":")
    assert callable(getattr(importlib.import_module(module), function))
    assert args == ["telegram"], "under systemd the bot must not fall back to the console"


def test_the_subcommand_is_one_the_cli_knows() -> None:
    _, command = exec_start()
    parsed = _parser().parse_args([command])
    assert parsed.command == command
