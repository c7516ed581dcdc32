"""Streaming the items of a top-level JSON array, so a 120 MB export never sits in memory whole.

The standard library's own JSON scanner (JSONDecoder.raw_decode) decodes one item at a time
from a sliding text buffer; only the current chunk and the current item are held.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, TextIO

CHUNK_CHARS = 1 << 20
# An item still unreadable with this much text after it is malformed, not cut by the chunking.
MAX_ITEM_CHARS = 16 << 20
_SPACE = " \t\r\n"


class JsonArrayError(ValueError):
    """The file is not a JSON array of records, at a character offset and after `items` items."""

    def __init__(self, message: str, offset: int, items: int) -> None:
        super().__init__(message)
        self.offset = offset
        self.items = items


class _Buffer:
    def __init__(self, handle: TextIO, on_read: Callable[[int], None] | None) -> None:
        self.handle = handle
        self.on_read = on_read
        self.text = ""
        self.pos = 0
        self.consumed = 0  # characters dropped from the front of text
        self.eof = False

    def refill(self) -> bool:
        if self.eof:
            return False
        chunk = self.handle.read(CHUNK_CHARS)
        if self.on_read:
            self.on_read(len(chunk))  # characters: close enough to bytes for a progress bar
        if not chunk:
            self.eof = True
            return False
        self.consumed += self.pos
        self.text = self.text[self.pos :] + chunk
        self.pos = 0
        return True

    def next_char(self) -> str | None:
        """Skip whitespace; the next character, or None at the end of the input."""
        while True:
            while self.pos < len(self.text) and self.text[self.pos] in _SPACE:
                self.pos += 1
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.refill():
                return None

    def offset(self) -> int:
        return self.consumed + self.pos


def iter_json_array(
    handle: TextIO, on_read: Callable[[int], None] | None = None
) -> Iterator[tuple[int, Any]]:
    """(index, item) for each item of the JSON array in handle; raises JsonArrayError naming where."""
    decoder = json.JSONDecoder()
    buf = _Buffer(handle, on_read)
    if buf.next_char() != "[":
        raise JsonArrayError("not a JSON array: expected '[' at the start", buf.offset(), 0)
    buf.pos += 1
    index = 0
    while True:
        char = buf.next_char()
        if char == "]":
            return
        if char is None:
            raise JsonArrayError(
                "the file ends inside the array (']' missing)", buf.offset(), index
            )
        if index:
            if char != ",":
                raise JsonArrayError(
                    f"expected ',' or ']' after item {index - 1}, found {char!r}",
                    buf.offset(),
                    index,
                )
            buf.pos += 1
            buf.next_char()
        item = _decode(decoder, buf, index)
        yield index, item
        index += 1


def _decode(decoder: json.JSONDecoder, buf: _Buffer, index: int) -> Any:
    while True:
        if buf.pos >= len(buf.text) and not buf.refill():
            raise JsonArrayError(
                "the file ends inside the array (']' missing)", buf.offset(), index
            )
        try:
            item, end = decoder.raw_decode(buf.text, buf.pos)
        except json.JSONDecodeError as exc:
            # Most likely the item is cut by the chunk boundary: read on and try again.
            if len(buf.text) - buf.pos < MAX_ITEM_CHARS and buf.refill():
                continue
            raise JsonArrayError(
                f"item {index} is not valid JSON ({exc.msg})", buf.consumed + exc.pos, index
            ) from None
        # A number at the very end of the buffer may continue in the next chunk.
        if end == len(buf.text) and not buf.eof and buf.refill():
            continue
        buf.pos = end
        return item
