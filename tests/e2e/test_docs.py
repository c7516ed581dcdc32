"""docs/cli.md is generated from the code; it must say what the commands really do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.e2e
def test_the_cli_reference_is_current(tmp_path: Path) -> None:
    generated = tmp_path / "cli.md"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "typer",
            "wearhouse.cli.main",
            "utils",
            "docs",
            "--name",
            "wearhouse",
            "--output",
            str(generated),
        ],
        check=True,
        capture_output=True,
        env={"COLUMNS": "100", "PATH": "/usr/bin:/bin"},
    )
    committed = (ROOT / "docs" / "cli.md").read_text()
    assert generated.read_text() == committed, "docs/cli.md is stale: run `make docs`"
