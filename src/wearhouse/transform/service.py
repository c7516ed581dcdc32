"""`wearhouse transform`: bronze -> silver -> gold with dbt, then publish to Delta."""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass

from wearhouse.settings import Settings
from wearhouse.transform.publish import PublishReport, publish
from wearhouse.transform.runner import DbtOutcome, NodeCallback, run_dbt


@dataclass
class TransformReport:
    """The dbt outcome and what was published."""

    dbt: DbtOutcome
    published: PublishReport
    dbt_seconds: float
    publish_seconds: float


def transform(
    settings: Settings,
    *,
    full_refresh: bool = False,
    select: str | None = None,
    on_node: NodeCallback | None = None,
    rebuild: tuple[datetime.date, datetime.date] | None = None,
) -> TransformReport:
    """Build silver and gold (models, seeds and tests) and publish them; nothing is published on failure.

    `rebuild` (first day, last day, inclusive) recomputes those days, with their weeks and months,
    for every user from silver, in addition to whatever new bronze data there is.
    """
    if rebuild is not None and rebuild[0] > rebuild[1]:
        raise ValueError(f"rebuild range starts ({rebuild[0]}) after it ends ({rebuild[1]})")
    command = ["build"]
    if full_refresh:
        command.append("--full-refresh")
    if select:
        command += ["--select", select]
    started = time.perf_counter()
    outcome = run_dbt(command, settings, on_node)
    built = time.perf_counter()
    published = publish(settings)
    return TransformReport(outcome, published, built - started, time.perf_counter() - built)
