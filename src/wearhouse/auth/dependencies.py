"""FastAPI dependencies that turn a bearer token into a principal, or refuse the request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request

from wearhouse.auth.tokens import Principal, Role, TokenStore
from wearhouse.ingest.errors import ApiError

NO_AUTH = Principal("no-auth", Role.admin)
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def require(*roles: Role) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency admitting only tokens of the given roles (admin is always admitted)."""
    allowed = {*roles, Role.admin}

    async def principal(request: Request) -> Principal:
        if getattr(request.app.state, "no_auth", False):
            return NO_AUTH
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(
                401, "unauthorized",
                "send 'Authorization: Bearer <token>'; create a token with "
                "`wearhouse token create --role device`",
                headers=_CHALLENGE,
            )  # fmt: skip
        store: TokenStore = request.app.state.tokens
        found = store.authenticate(token.strip())
        if found is None:
            raise ApiError(
                401,
                "unauthorized",
                "the token is unknown or revoked: create a new one",
                headers=_CHALLENGE,
            )
        if found.role not in allowed:
            needed = " or ".join(sorted(r.value for r in allowed))
            raise ApiError(
                403,
                "forbidden",
                f"a {found.role.value} token cannot do this; it needs a {needed} token",
            )
        return found

    return principal
