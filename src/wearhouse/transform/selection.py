"""Which dbt models and seeds an incremental run must build, given the bronze streams that have
new records.

A model is built when a bronze stream with new records, the run's parameters or a changed seed is
among its ancestors. A seed is changed when its file differs from the one last loaded (or none was
recorded as loaded): reloading the same file would write the same rows. A model whose every
source is a bronze stream without new records would be rebuilt from the same rows into the same
table, so it is left as it is, and so are the data tests on it alone (dbt selects a test when any
of its parents is selected).

Some tables hold only what this run reads: those computed from `new_bronze()` (the records after
the watermark) and not accumulating them as incremental models do. Such a table is rebuilt
whenever a model built after it reads it, even when its stream has nothing new: it is then empty,
where the previous run's content would be stale.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

BUILT = ("model", "seed", "snapshot")
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
            else:
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
