"""The live feed (`WS /v1/live`) of a real `wearhouse serve`, with WebSocket clients.

Gold (who wears which device, resting rates, age groups) is written as Delta tables before the
server starts; readings are posted over HTTP and must arrive on the feed with their user, after
their commit, through each role's rules and each filter; alerts follow the personal range; a
client that stops reading costs itself frames, never ingestion.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from http_server import ServerProcess, make_token
from live_support import (
    at,
    feed,
    hello,
    is_reading,
    post,
    receive,
    refusal,
    series,
    until,
    write_gold,
)

from wearhouse.auth.tokens import Role

pytestmark = pytest.mark.integration

SILENT_AFTER_S = 2
QUEUE_FRAMES = 500


@dataclass(frozen=True)
class Live:
    """The module's server and a token per role."""

    server: ServerProcess
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    home: Path = tmp_path_factory.mktemp("live") / "home"
    write_gold(home)
    tokens = {
        "admin": make_token(home, Role.admin),
        "analyst": make_token(home, Role.analyst),
        "device": make_token(home, Role.device),
        "u1": make_token(home, Role.user, "u1"),
    }
    env = {
        "WEARHOUSE_SERVE__LIVE_SILENT_AFTER_S": str(SILENT_AFTER_S),
        "WEARHOUSE_SERVE__LIVE_QUEUE_FRAMES": str(QUEUE_FRAMES),
    }
    with ServerProcess(home, env=env) as server:
        yield Live(server, tokens)


def test_a_posted_reading_arrives_with_its_user(live: Live) -> None:
    with feed(live.server, live.tokens["admin"], device_id="d1") as ws:
        greeting = hello(ws)
        assert greeting["filters"] == {
            "user_id": None,
            "device_id": "d1",
            "kinds": ["alert", "reading"],
            "streams": ["heart_rate", "steps"],
        }
        post(
            live.server,
            live.tokens["device"],
            "heart_rate",
            {"device_id": "d1", "ts": at(0), "bpm": 72},
        )
        frame = receive(ws)
    assert frame.pop("ingested_at") >= greeting["server_time"]
    assert frame == {
        "type": "reading", "stream": "heart_rate", "device_id": "d1", "user_id": "u1",
        "ts": at(0), "bpm": 72,
    }  # fmt: skip


def test_filters_by_user_device_kind_and_stream(live: Live) -> None:
    admin, device = live.tokens["admin"], live.tokens["device"]
    with (
        feed(live.server, admin, user_id="u2") as by_user,
        feed(live.server, admin, device_id="d3") as by_device,
        feed(live.server, admin, streams="steps", kinds="reading") as steps_only,
        feed(live.server, admin, kinds="alert", device_id="d2") as alerts_only,
    ):
        for ws in (by_user, by_device, steps_only, alerts_only):
            hello(ws)
        readings = [{"device_id": d, "ts": at(100), "bpm": 80} for d in ("d1", "d2", "d3")]
        post(live.server, device, "heart_rate", readings)
        post(live.server, device, "steps", {"device_id": "d3", "ts": at(100), "steps": 12})
        post(live.server, device, "heart_rate", {"device_id": "d2", "ts": at(105), "bpm": 81})

        seen = until(by_user, is_reading("d2", at(105)))
        assert {(f["device_id"], f["user_id"]) for f in seen} == {("d2", "u2")}
        seen = until(by_device, lambda f: f.get("stream") == "steps")
        assert [(f["stream"], f["device_id"]) for f in seen] == [
            ("heart_rate", "d3"),
            ("steps", "d3"),
        ]
        assert seen[-1]["steps"] == 12 and "bpm" not in seen[-1]
        first = receive(steps_only)
        assert (first["stream"], first["device_id"], first["steps"]) == ("steps", "d3", 12)
        # d2 goes quiet: the only frame of an alerts-only feed is its device_silent alert
        silent = receive(alerts_only, timeout=SILENT_AFTER_S + 10)
        assert (silent["type"], silent["kind"], silent["device_id"]) == (
            "alert",
            "device_silent",
            "d2",
        )


def test_buckets_are_expanded_and_live_registrations_name_the_user(live: Live) -> None:
    device = live.tokens["device"]
    bucket = {
        "device_id": "d4",
        "created_at": at(200),
        "ended_at": at(260),
        "metrics": [
            {"ts": at(200), "bpm": 61, "confidence": 3},
            {"ts": at(230), "bpm": 62},
            {"ts": at(260), "bpm": 63},
        ],
    }
    with feed(live.server, live.tokens["admin"], device_id="d4", kinds="reading") as ws:
        hello(ws)
        post(live.server, device, "heart_rate", bucket)
        frames = [receive(ws) for _ in range(3)]
        assert [(f["ts"], f["bpm"], f["user_id"]) for f in frames] == [
            (at(200), 61, None), (at(230), 62, None), (at(260), 63, None),
        ]  # fmt: skip
        assert frames[0]["confidence"] == 3
        post(live.server, device, "devices", {"device_id": "d4", "user_id": "u4"})
        post(live.server, device, "heart_rate", {"device_id": "d4", "ts": at(270), "bpm": 64})
        assert receive(ws)["user_id"] == "u4"


def test_a_user_token_sees_only_its_own_user(live: Live) -> None:
    device = live.tokens["device"]
    with feed(live.server, live.tokens["u1"]) as mine:
        assert hello(mine)["filters"]["user_id"] == "u1"
        post(live.server, device, "heart_rate", {"device_id": "d2", "ts": at(300), "bpm": 70})
        post(live.server, device, "heart_rate", {"device_id": "d3", "ts": at(300), "bpm": 71})
        first = receive(mine)
    assert (first["device_id"], first["user_id"], first["bpm"]) == ("d3", "u1", 71)


@pytest.mark.parametrize(
    ("who", "params", "code", "says"),
    [
        (None, {}, 4401, "send the bearer token as ?token=<token>"),
        ("wh_unknown", {}, 4401, "the token is unknown or revoked"),
        ("device", {}, 4403, "a device token cannot watch the live feed"),
        ("u1", {"user_id": "u2"}, 4404, "this token sees only user 'u1'"),
        ("admin", {"kinds": "reading,bpm"}, 4400, "kinds='reading,bpm' names nothing known (bpm)"),
        ("admin", {"streams": "sleeps"}, 4400, "streams='sleeps' names nothing known (sleeps)"),
    ],
)  # fmt: skip
def test_refusals_close_with_a_code_and_say_what_to_do(
    live: Live, who: str | None, params: dict[str, str], code: int, says: str
) -> None:
    token = live.tokens.get(who, who) if who else None
    with feed(live.server, token, **params) as ws:
        error, closed_with, reason = refusal(ws)
    assert error["type"] == "error"
    assert says in error["message"]
    assert closed_with == code
    assert reason.startswith(says[:20])


def test_analysts_see_readings_without_location_and_headers_work(live: Live) -> None:
    located = {"device_id": "d2", "ts": at(400), "bpm": 75, "lat": 40.4, "lon": -3.7}
    with (
        feed(live.server, live.tokens["analyst"], header=True, device_id="d2") as analyst,
        feed(live.server, live.tokens["admin"], device_id="d2") as admin,
    ):
        hello(analyst), hello(admin)
        post(live.server, live.tokens["device"], "heart_rate", located)
        seen_by_analyst, seen_by_admin = receive(analyst), receive(admin)
    assert "lat" not in seen_by_analyst and "lon" not in seen_by_analyst
    assert seen_by_analyst["bpm"] == 75
    assert (seen_by_admin["lat"], seen_by_admin["lon"]) == (40.4, -3.7)


def test_a_sustained_high_rate_alerts_once_and_a_spike_not_at_all(live: Live) -> None:
    device = live.tokens["device"]
    # u1's range is 35-143 (resting 50 at age 70); d3 is also u1's
    spike = series("d3", [80] * 5 + [170] * 3 + [80] * 5, offset=500)
    sustained = series("d1", [150] * 25 + [90], offset=500)
    with feed(live.server, live.tokens["admin"], user_id="u1") as ws:
        hello(ws)
        post(live.server, device, "heart_rate", spike)
        post(live.server, device, "heart_rate", sustained)
        seen = until(ws, is_reading("d1", sustained[-1]["ts"]))
    alerts = [f for f in seen if f["type"] == "alert" and f["kind"].startswith("heart_rate")]
    assert len(alerts) == 1, alerts
    [alert] = alerts
    assert alert == {
        "type": "alert", "kind": "heart_rate_high", "user_id": "u1", "device_id": "d1",
        "since": at(500), "ts": at(560), "bpm": 150, "limit": 143,
        "message": "Heart rate above 143 bpm for 60 s (personal range 35-143)",
    }  # fmt: skip
    # the alert comes right after the reading that completed the minute
    position = seen.index(alert)
    assert is_reading("d1", at(560))(seen[position - 1])


def test_a_low_rate_uses_the_users_own_resting_rate(live: Live) -> None:
    # u2 rests at 70: 50 bpm is below their range (55-168) though normal for many people
    with feed(live.server, live.tokens["admin"], device_id="d2", kinds="alert") as ws:
        hello(ws)
        post(live.server, live.tokens["device"], "heart_rate", series("d2", [50] * 14, offset=600))
        alert = receive(ws)
    assert (alert["kind"], alert["limit"], alert["bpm"]) == ("heart_rate_low", 55, 50)
    assert alert["message"] == "Heart rate below 55 bpm for 60 s (personal range 55-168)"


def test_a_device_that_stops_sending_is_reported_silent_once(live: Live) -> None:
    with feed(live.server, live.tokens["admin"], device_id="d5") as ws:
        hello(ws)
        post(live.server, live.tokens["device"], "devices", {"device_id": "d5", "user_id": "u5"})
        post(
            live.server,
            live.tokens["device"],
            "steps",
            {"device_id": "d5", "ts": at(700), "steps": 3},
        )
        reading = receive(ws)
        alert = receive(ws, timeout=SILENT_AFTER_S + 10)
        with pytest.raises(TimeoutError):  # once per silence
            receive(ws, timeout=SILENT_AFTER_S * 2)
    assert (alert["kind"], alert["device_id"], alert["user_id"]) == ("device_silent", "d5", "u5")
    assert alert["since"] == reading["ingested_at"]
    assert alert["ts"] > alert["since"]
    assert alert["limit"] == SILENT_AFTER_S
    assert alert["message"].startswith("No readings from device d5 for ")


def test_a_client_that_stops_reading_loses_frames_not_ingestion(live: Live) -> None:
    device = live.tokens["device"]
    requests, per_request = 40, 2000  # ~14 MB of frames: more than socket buffers hold
    with feed(
        live.server, live.tokens["admin"], small_buffer=True, device_id="slow", kinds="reading"
    ) as slow:
        hello(slow)
        for n in range(requests):  # nobody reads `slow` meanwhile: every request is still answered
            bucket = {
                "device_id": "slow",
                "created_at": at(n * per_request),
                "ended_at": at((n + 1) * per_request),
                "metrics": [{"ts": at(n * per_request + i), "bpm": 60 + i % 40} for i in range(per_request)],
            }  # fmt: skip
            post(live.server, device, "heart_rate", bucket)
        marker = {"device_id": "slow", "ts": at(10**6), "bpm": 99}
        post(live.server, device, "heart_rate", marker)
        seen = until(slow, is_reading("slow", marker["ts"]), timeout=60)
    lags = [f["dropped"] for f in seen if f["type"] == "lag"]
    readings = [f for f in seen if f["type"] == "reading"]
    assert lags and all(n > 0 for n in lags)
    # every reading either reached the client or was counted in a lag frame
    assert len(readings) + sum(lags) == requests * per_request + 1
    # and the feed carries on normally afterwards
    with feed(live.server, live.tokens["admin"], device_id="slow") as again:
        hello(again)
        post(
            live.server, device, "heart_rate", {"device_id": "slow", "ts": at(10**6 + 1), "bpm": 98}
        )
        assert receive(again)["bpm"] == 98
