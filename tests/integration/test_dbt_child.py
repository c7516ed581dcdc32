"""The dbt child process started ahead of its command: it runs the command it is given, and one
that is given none exits without touching the home."""

from __future__ import annotations

from pathlib import Path

import pytest

from wearhouse.errors import TerminalError
from wearhouse.settings import Settings
from wearhouse.transform.runner import DbtChild

pytestmark = pytest.mark.integration


def test_a_child_given_no_command_exits_cleanly(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    child = DbtChild(settings)
    child.cancel()
    assert child.process.returncode == 0
    assert not settings.warehouse_path.exists()
    assert not (settings.home / "dbt" / "target" / "run_results.json").exists()


def test_a_child_runs_its_command_and_reports_failure(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    child = DbtChild(settings)
    with pytest.raises(TerminalError, match="dbt run failed"):
        child.run(["run", "--select", "no_such_model_anywhere", "--fail-fast", "--warn-error"])
    child.cancel()  # already finished: nothing to do
    assert child.process.returncode != 0
