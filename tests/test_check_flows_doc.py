"""docs/FLOWS.md's complete example is the fixture, and `bme-bot check` proves it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "FLOWS.md"
FIXTURE = ROOT / "tests" / "fixtures" / "flows_doc_example.yaml"
YAML_BLOCK = re.compile(r"^```yaml\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def example_block() -> str:
    """The one YAML block of the document that is a whole flow (it opens with `# A small`)."""
    blocks = [b for b in YAML_BLOCK.findall(DOC.read_text("utf-8")) if b.startswith("# A small")]
    assert len(blocks) == 1, f"expected one complete example in {DOC.name}, found {len(blocks)}"
    return str(blocks[0])


def test_the_documented_example_is_the_fixture() -> None:
    assert example_block() == FIXTURE.read_text(encoding="utf-8")


def test_check_proves_the_documented_example(tmp_path: Path) -> None:
    flow = tmp_path / "flows_doc_example.yaml"
    flow.write_text(example_block(), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "bme_bot", "check", str(flow)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    for invariant in ("P1", "P2", "P8", "P9"):
        assert f"proved {invariant}:" in run.stdout
    assert "OK: all checks passed" in run.stdout


def test_the_example_uses_a_checklist_and_a_fact_that_may_be_unsure() -> None:
    import yaml

    flow = yaml.safe_load(example_block())
    assert any("checklist" in q for q in flow["questions"].values())
    assert any(isinstance(v, dict) and "unsure_counts_as" in v for v in flow["facts"].values())
