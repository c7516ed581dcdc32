"""Shared pieces of the stream contracts: ids, timestamps and the record base model."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

Id = str
"""An identifier: a non-empty string, or a number taken as its decimal string (DESIGN.md).

Records coerce numbers to strings in Rust (`coerce_numbers_to_str`), keeping validation off the
Python interpreter on the hot ingestion path."""

Timestamp = datetime
"""ISO 8601 text (an offset is honoured, none means UTC) or epoch seconds."""


class Record(BaseModel):
    """Base of every stream record: unknown keys are kept in the payload, not rejected."""

    model_config = ConfigDict(extra="allow", str_min_length=1, coerce_numbers_to_str=True)
