"""Shared fixtures: settings isolation and snapshots of the lake's published tables."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from deltalake import DeltaTable

from wearhouse.lake.read import read_table
from wearhouse.settings import Settings, get_settings

Rows = list[dict[str, Any]]


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """get_settings() is cached per process: no test sees a home another test configured."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def table_names(settings: Settings, layer: str) -> list[str]:
    """The Delta tables published in a layer."""
    root = settings.lake / layer
    return sorted(p.name for p in root.iterdir() if (p / "_delta_log").is_dir())


def sorted_rows(layer: str, name: str, settings: Settings) -> Rows:
    """Every row of a Delta table, in a canonical order, for whole-table comparisons."""
    rows = read_table(layer, name, settings).to_pylist()
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))


@pytest.fixture(scope="session")
def layer_rows() -> Callable[..., dict[str, Rows]]:
    """A function giving the tables of a layer (all, or those named) as sorted rows, by name."""

    def snapshot(
        settings: Settings, layer: str, names: Sequence[str] | None = None
    ) -> dict[str, Rows]:
        names = table_names(settings, layer) if names is None else names
        return {name: sorted_rows(layer, name, settings) for name in names}

    return snapshot


@pytest.fixture(scope="session")
def delta_versions() -> Callable[[Settings], dict[str, int]]:
    """A function giving the current Delta version of every silver and gold table."""

    def versions(settings: Settings) -> dict[str, int]:
        return {
            f"{layer}.{name}": DeltaTable(str(settings.lake / layer / name)).version()
            for layer in ("silver", "gold")
            for name in table_names(settings, layer)
        }

    return versions
