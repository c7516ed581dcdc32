"""`wearhouse token`: bearer tokens for the API, stored hashed under WEARHOUSE_HOME."""

from __future__ import annotations

from typing import Annotated

import typer

from wearhouse.auth.tokens import Role, TokenStore
from wearhouse.cli.output import console, errors
from wearhouse.settings import get_settings

app = typer.Typer(help="Create, list and revoke API tokens.", no_args_is_help=True)


@app.command()
def create(
    role: Annotated[
        Role, typer.Option(help="device: ingest only; user: own data; analyst: gold; admin: all.")
    ],
    user_id: Annotated[
        str | None, typer.Option(help="The user a `user` (or device) token belongs to.")
    ] = None,
) -> None:
    """Create a token; it is printed once, alone on the last line, and only its hash is kept."""
    store = TokenStore.for_settings(get_settings())
    try:
        token, principal = store.create(role, user_id)
    except ValueError as exc:
        errors.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    console.print(
        f"Created {principal.role.value} token {principal.token_id}"
        + (f" for user {principal.user_id}" if principal.user_id else "")
        + ". It is shown once; store it now:",
        highlight=False,
    )
    print(token)


@app.command("list")
def list_tokens() -> None:
    """List tokens by id, role and user (never the tokens themselves)."""
    for entry in TokenStore.for_settings(get_settings()).list():
        console.print(
            f"{entry['token_id']}  {entry['role']:<8} {entry['user_id'] or '-':<10} {entry['created_at']}",
            highlight=False,
        )


@app.command()
def revoke(
    token_id: Annotated[str, typer.Argument(help="The id shown by `wearhouse token list`.")],
) -> None:
    """Revoke a token by its id."""
    if not TokenStore.for_settings(get_settings()).revoke(token_id):
        errors.print(f"[red]error:[/] no token with id {token_id}; see `wearhouse token list`")
        raise typer.Exit(2)
    console.print(f"Revoked {token_id}.")
