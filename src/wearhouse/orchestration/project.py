"""The dbt project as Dagster sees it: a manifest parsed under WEARHOUSE_HOME, never in the package."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from wearhouse.errors import TerminalError
from wearhouse.settings import Settings
from wearhouse.transform.runner import PROJECT_DIR, dbt_environment

PROJECT_FILES = ("*.sql", "*.yml", "*.csv")


def manifest_dir(settings: Settings) -> Path:
    """Where `dbt parse` writes the manifest Dagster builds its assets from.

    Kept apart from the target of `wearhouse transform` runs, so a parse at load time never
    touches the artifacts of a transform in progress.
    """
    return settings.home.resolve() / "dbt" / "manifest"


def dbt_project(settings: Settings) -> DbtProject:
    """The project with its manifest prepared: parsed now if missing or older than a project file."""
    project = DbtProject(
        project_dir=PROJECT_DIR, target_path=manifest_dir(settings), profiles_dir=PROJECT_DIR
    )
    prepare(settings)
    return project


def prepare(settings: Settings) -> Path:
    """Run `dbt parse` (with the environment of every transform) when the manifest is stale."""
    target = manifest_dir(settings)
    manifest = target / "manifest.json"
    target.mkdir(parents=True, exist_ok=True)
    # Several processes load the definitions at once under `dagster dev` (webserver, daemon,
    # run workers): one parses, the others wait and then find a fresh manifest.
    with open(target / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _is_stale(manifest):
            _parse(settings, target)
    return manifest


def _is_stale(manifest: Path) -> bool:
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = (p for pattern in PROJECT_FILES for p in PROJECT_DIR.rglob(pattern))
    return any(p.stat().st_mtime > built for p in sources)


def _parse(settings: Settings, target: Path) -> None:
    args = [
        sys.executable, "-m", "wearhouse.transform._dbt_child", "parse", "--quiet",
        "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
        "--target-path", str(target),
    ]  # fmt: skip
    env = {**os.environ, **dbt_environment(settings)}
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not (target / "manifest.json").exists():
        detail = (done.stdout + done.stderr).strip()[-2000:]
        raise TerminalError(
            f"dbt parse of {PROJECT_DIR} failed (exit code {done.returncode}); "
            f"fix the project so that `wearhouse transform` parses it:\n  {detail}"
        )
