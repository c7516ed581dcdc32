"""Shared pieces of the stream contracts: ids, timestamps and the record base model."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict


def _id_text(value: object) -> object:
    # DESIGN.md: "a number sent as an id is taken as its decimal string".
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    return value


Id = Annotated[str, BeforeValidator(_id_text)]
"""An identifier: a non-empty string, or an integer taken as its decimal string."""

Timestamp = datetime
"""ISO 8601 text (an offset is honoured, none means UTC) or epoch seconds."""


class Record(BaseModel):
    """Base of every stream record: unknown keys are kept in the payload, not rejected."""

    model_config = ConfigDict(extra="allow", str_min_length=1)
