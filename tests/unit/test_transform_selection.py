"""An incremental run builds the models its new bronze records reach, and those of the run's
parameters and of changed seeds; the rest are left as they are, except tables of this run's
records."""

from __future__ import annotations

from types import SimpleNamespace

from wearhouse.transform.selection import NEW_BRONZE, RUN_PARAMETERS, nodes_to_build


def _node(
    kind: str, name: str, *parents: str, materialized: str = "table", macros: tuple = ()
) -> SimpleNamespace:
    return SimpleNamespace(
        resource_type=kind,
        name=name,
        config=SimpleNamespace(materialized=materialized),
        depends_on=SimpleNamespace(nodes=list(parents), macros=list(macros)),
        checksum=SimpleNamespace(checksum=f"sha256 of {name}"),
    )


HR = "source.wearhouse.bronze.heart_rate"
NODES = {
    "model.wearhouse.users": _node("model", "users", "source.wearhouse.bronze.users"),
    "model.wearhouse.dim_users": _node("model", "dim_users", "model.wearhouse.users"),
    # The new heart-rate records: an ephemeral staging model and a table of this run's rows.
    "model.wearhouse.stg_hr": _node(
        "model", "stg_hr", HR, materialized="ephemeral", macros=(NEW_BRONZE,)
    ),
    "model.wearhouse.hr_validated": _node("model", "hr_validated", "model.wearhouse.stg_hr"),
    "model.wearhouse.heart_rate": _node(
        "model", "heart_rate", "model.wearhouse.hr_validated", materialized="incremental"
    ),
    "model.wearhouse.user_daily": _node(
        "model", "user_daily", "model.wearhouse.heart_rate", "model.wearhouse.dim_users"
    ),
    "model.wearhouse.quarantine": _node("model", "quarantine", "source.wearhouse.bronze.rejected"),
    "model.wearhouse.affected": _node(
        "model", "affected", RUN_PARAMETERS, "model.wearhouse.hr_validated"
    ),
    "seed.wearhouse.activities": _node("seed", "activities"),
    "model.wearhouse.by_activity": _node("model", "by_activity", "seed.wearhouse.activities"),
    "test.wearhouse.not_null_users": _node("test", "not_null_users", "model.wearhouse.users"),
}


def test_new_readings_leave_profile_models_alone() -> None:
    assert nodes_to_build(NODES, ["heart_rate"]) == [
        "activities", "affected", "by_activity", "heart_rate", "hr_validated", "stg_hr",
        "user_daily",
    ]  # fmt: skip


def test_a_model_is_built_when_any_of_its_sources_changed() -> None:
    assert "user_daily" in nodes_to_build(NODES, ["users"])
    assert "quarantine" not in nodes_to_build(NODES, ["users"])


def test_the_rejected_stream_maps_to_its_source() -> None:
    assert "quarantine" in nodes_to_build(NODES, ["_rejected"])


def test_a_table_of_this_runs_records_is_rebuilt_empty_for_its_readers() -> None:
    # No new readings: `affected` runs for the run's parameters and must not read the last
    # run's readings, so the table of new readings is rebuilt (empty); the accumulating
    # heart_rate model is left alone.
    selected = nodes_to_build(NODES, [])
    assert selected == ["activities", "affected", "by_activity", "hr_validated", "stg_hr"]


def test_everything_reached_means_no_selection() -> None:
    assert nodes_to_build(NODES, ["users", "heart_rate", "_rejected"]) is None


SEED = "seed.wearhouse.activities"


def test_a_seed_loaded_from_the_same_file_is_left_alone() -> None:
    selected = nodes_to_build(NODES, ["heart_rate"], {SEED: "sha256 of activities"})
    assert selected is not None
    assert "activities" not in selected
    assert "by_activity" not in selected  # reached by the seed alone
    assert "user_daily" in selected


def test_a_seed_whose_file_changed_is_loaded_again_with_what_reads_it() -> None:
    for loaded in ({SEED: "sha256 of an older file"}, {}, None):
        selected = nodes_to_build(NODES, ["heart_rate"], loaded)
        assert selected is not None
        assert {"activities", "by_activity"} <= set(selected)
