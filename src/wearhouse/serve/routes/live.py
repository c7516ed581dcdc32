"""WS /v1/live: readings as they are committed and alerts, filtered by user, device, kind and stream.

Browsers cannot set headers on a WebSocket, so the bearer token may come as the `token` query
parameter as well as in `Authorization: Bearer`. A refused connection is accepted, sent one
`error` frame that says what to fix, and closed with a 44xx code: 4401 no or unknown token, 4403
a device token, 4404 a user token asking for another user, 4400 a bad filter.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

import orjson
from fastapi import APIRouter, WebSocket

from wearhouse.auth.dependencies import NO_AUTH
from wearhouse.auth.tokens import Principal, Role, TokenStore
from wearhouse.live.frames import LIVE_STREAMS
from wearhouse.live.hub import KINDS, Filters, LiveHub, Subscriber
from wearhouse.serve.routes.common import MAX_ID_LENGTH

router = APIRouter(tags=["live"])


class Refused(Exception):
    """The connection is refused with a close code and a message that says what to fix."""

    def __init__(self, code: int, error: str, message: str) -> None:
        super().__init__(message)
        self.code, self.error, self.message = code, error, message


def principal_of(websocket: WebSocket) -> Principal:
    """The token's principal; device tokens and missing or unknown tokens are refused."""
    if getattr(websocket.app.state, "no_auth", False):
        return NO_AUTH
    token = websocket.query_params.get("token", "").strip()
    if not token:
        scheme, _, value = websocket.headers.get("authorization", "").partition(" ")
        token = value.strip() if scheme.lower() == "bearer" else ""
    if not token:
        raise Refused(
            4401, "unauthorized",
            "send the bearer token as ?token=<token> or 'Authorization: Bearer <token>'; "
            "create one with `wearhouse token create --role analyst`",
        )  # fmt: skip
    store: TokenStore = websocket.app.state.tokens
    found = store.authenticate(token)
    if found is None:
        raise Refused(4401, "unauthorized", "the token is unknown or revoked: create a new one")
    if found.role is Role.device:
        raise Refused(
            4403, "forbidden",
            "a device token cannot watch the live feed; it needs a user, analyst or admin token",
        )  # fmt: skip
    return found


def _choices(raw: str | None, allowed: tuple[str, ...], name: str) -> frozenset[str]:
    if raw is None or not raw.strip():
        return frozenset(allowed)
    chosen = {part.strip() for part in raw.split(",") if part.strip()}
    unknown = sorted(chosen - set(allowed))
    if unknown or not chosen:
        raise Refused(
            4400, "invalid_filter",
            f"{name}={raw!r} names nothing known ({', '.join(unknown) or 'empty'}): send a "
            f"comma list of {', '.join(allowed)}",
        )  # fmt: skip
    return frozenset(chosen)


def _text(websocket: WebSocket, name: str) -> str | None:
    value = websocket.query_params.get(name)
    if value is None or value == "":
        return None
    if len(value) > MAX_ID_LENGTH:
        raise Refused(4400, "invalid_filter", f"{name} is longer than {MAX_ID_LENGTH} characters")
    return value


def filters_of(websocket: WebSocket, principal: Principal) -> Filters:
    """The query's filters, narrowed to what the principal may see."""
    user_id = _text(websocket, "user_id")
    if principal.role is Role.user:
        own = principal.user_id or ""
        if user_id is not None and user_id != own:
            raise Refused(
                4404, "unknown_user",
                f"this token sees only user {own!r}: leave user_id out or send your own",
            )  # fmt: skip
        user_id = own
    return Filters(
        user_id=user_id,
        device_id=_text(websocket, "device_id"),
        kinds=_choices(websocket.query_params.get("kinds"), KINDS, "kinds"),
        streams=_choices(websocket.query_params.get("streams"), LIVE_STREAMS, "streams"),
        with_location=principal.role is not Role.analyst,
    )


@router.websocket("/v1/live")
async def live(websocket: WebSocket) -> None:
    """Readings and alerts as they are committed; see docs/live-feed.md for frames and filters."""
    await websocket.accept()
    try:
        filters = filters_of(websocket, principal_of(websocket))
    except Refused as refused:
        await websocket.send_text(
            orjson.dumps(
                {"type": "error", "error": refused.error, "message": refused.message}
            ).decode()
        )
        await websocket.close(refused.code, reason=refused.message[:120])
        return
    hub: LiveHub = websocket.app.state.live
    subscriber = hub.subscribe(filters)
    try:
        hello = {
            "type": "hello",
            "filters": filters.describe(),
            "server_time": datetime.now(UTC).isoformat(),
            "backend": hub.backend,
        }
        await websocket.send_text(orjson.dumps(hello).decode())
        sending = asyncio.create_task(_send(websocket, subscriber))
        receiving = asyncio.create_task(_until_closed(websocket))
        _, pending = await asyncio.wait({sending, receiving}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    finally:
        hub.unsubscribe(subscriber)


async def _send(websocket: WebSocket, subscriber: Subscriber) -> None:
    with_location = subscriber.filters.with_location
    while (taken := await subscriber.take()) is not None:
        dropped, frames = taken
        try:
            if dropped:
                await websocket.send_text(
                    orjson.dumps({"type": "lag", "dropped": dropped}).decode()
                )
            for frame in frames:
                await websocket.send_text(frame.text(with_location))
        except Exception:  # the client went away mid-send
            return
    with contextlib.suppress(Exception):
        await websocket.close(1001, reason="the server is shutting down")


async def _until_closed(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends, until it disconnects."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
