"""What a reader's token lets it see of gold (DESIGN.md section 7), as filters the queries apply.

- `user`: only its own user's rows; another user's id reads exactly like an unknown one (404 on
  the per-user endpoint, no rows on lists), so ids cannot be probed. Aggregates (cohorts, heart
  rate by activity) only for groups of at least MIN_GROUP_USERS people, since a group of one or
  two is those people's own figures.
- `analyst`: all of gold except personal data; gold has no names, e-mail or birth dates, and the
  API also hides the MAC address (a hardware id that can be observed in the physical world, so it
  links a pseudonymous user to a person). User and device ids are pseudonyms and stay visible.
- `admin`: everything. `device` tokens cannot read (403, from the auth dependency).
"""

from __future__ import annotations

from dataclasses import dataclass

from wearhouse.auth.tokens import Principal, Role

MIN_GROUP_USERS = 5


@dataclass(frozen=True, slots=True)
class Scope:
    """The rows and columns one reader may see."""

    own_user: str | None = None
    """Set for user tokens: only this user's rows."""
    min_group_users: int = 0
    """Aggregate rows over fewer people are left out."""
    sees_mac_address: bool = True

    def may_see_user(self, user_id: str) -> bool:
        """Whether this reader may see the rows of `user_id`."""
        return self.own_user is None or self.own_user == user_id


def scope_of(principal: Principal) -> Scope:
    """The scope of a reading principal (its role was checked by the auth dependency)."""
    if principal.role is Role.user:
        # A user token without a user id sees nobody's rows (the CLI never creates one).
        return Scope(own_user=principal.user_id or "", min_group_users=MIN_GROUP_USERS)
    if principal.role is Role.analyst:
        return Scope(sees_mac_address=False)
    return Scope()
