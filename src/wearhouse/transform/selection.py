"""Which dbt models and seeds an incremental run must build, given the bronze streams that have
new records.

A model is built when a bronze stream with new records, the run's parameters or a changed seed is
among its ancestors. A seed is changed when its file differs from the one last loaded (or none was
recorded as loaded): reloading the same file would write the same rows. A model whose every source is a bronze stream without new records would be rebuilt
from the same rows into the same table, so it is left as it is, and so are the data tests on it
alone (dbt selects a test when any of its parents is selected).

Some tables hold only what this run reads: those computed from `new_bronze()` (the records after
the watermark) and not accumulating them as incremental models do. Such a table is rebuilt
whenever a model built after it reads it, even when its stream has nothing new: it is then empty,
where the previous run's content would be stale.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

BUILT = ("model", "seed", "snapshot")
RUN_DATABASE = "this_run"
"""The in-memory database (attached in profiles.yml) of the tables that hold one run's new records:
every dbt invocation starts with it empty."""
RUN_PARAMETERS = "source.wearhouse.run.parameters"
NEW_BRONZE = "macro.wearhouse.new_bronze"


def _source(stream: str) -> str:
    return f"source.wearhouse.bronze.{'rejected' if stream == '_rejected' else stream}"


def _parents(node: Any) -> list[str]:
    return list(getattr(node.depends_on, "nodes", ()))  # a seed's depends only on macros


def nodes_to_build(
    nodes: Mapping[str, Any],
    changed_streams: Iterable[str],
    loaded_seeds: Mapping[str, str] | None = None,
) -> list[str] | None:
    """Names of the models and seeds to build, or None when that is all of them.

    `nodes` is dbt's manifest.nodes: unique id -> node with `resource_type`, `name`,
    `config.materialized`, `depends_on.nodes` and `depends_on.macros`, and for a seed
    `checksum.checksum`. `loaded_seeds` maps a seed's unique id to the checksum of the file last
    loaded. A node with no parent at all, other than a seed, is always built.
    """
    loaded = loaded_seeds or {}
    changed = {_source(s) for s in changed_streams} | {RUN_PARAMETERS}
    reached: dict[str, bool] = {}
    this_run: dict[str, bool] = {}

    def is_reached(uid: str) -> bool:
        if uid not in reached:
            node = nodes[uid]
            parents = _parents(node)
            if str(node.resource_type) == "seed":
                reached[uid] = loaded.get(uid) != node.checksum.checksum
                return reached[uid]
            reached[uid] = not parents or any(
                p in changed if p.startswith("source.") else is_reached(p) for p in parents
            )
        return reached[uid]

    def holds_this_run(uid: str) -> bool:
        if uid not in this_run:
            node = nodes[uid]
            this_run[uid] = (
                str(node.resource_type) == "model"
                and node.config.materialized != "incremental"
                and (
                    NEW_BRONZE in node.depends_on.macros
                    or any(p in nodes and holds_this_run(p) for p in _parents(node))
                )
            )
        return this_run[uid]

    built = [uid for uid, node in nodes.items() if str(node.resource_type) in BUILT]
    selected = {uid for uid in built if is_reached(uid)}
    pending = list(selected)
    while pending:
        for parent in _parents(nodes[pending.pop()]):
            if parent in nodes and parent not in selected and holds_this_run(parent):
                selected.add(parent)
                pending.append(parent)
    if len(selected) == len(built):
        return None
    return sorted(nodes[uid].name for uid in selected)


def run_tables_read(nodes: Mapping[str, Any], selected: Iterable[str]) -> list[str]:
    """Names of the tables in the run's in-memory database that the `selected` models read and
    that are not selected themselves. They start empty in every dbt invocation, so a run that
    selects their readers builds them too (after the ephemeral models between)."""
    by_name = {node.name: uid for uid, node in nodes.items() if str(node.resource_type) == "model"}
    chosen = set(selected)
    pending = [by_name[name] for name in chosen if name in by_name]
    needed: set[str] = set()
    while pending:
        for parent in _parents(nodes[pending.pop()]):
            node = nodes.get(parent)
            if node is None or parent in needed:
                continue
            if getattr(node, "database", None) == RUN_DATABASE and node.name not in chosen:
                needed.add(parent)
                pending.append(parent)
            elif getattr(node.config, "materialized", None) == "ephemeral":
                pending.append(parent)
    return sorted(nodes[uid].name for uid in needed)
