"""Vectorised JSON text: many records of one shape rendered at once from numpy columns.

Formatting readings one by one in Python tops out near a million a second; building the
bytes of a whole device-day as a character matrix and compacting it with one boolean mask
is several times faster, which is what lets a benchmark fleet of 100 million readings be
written in about a minute.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np

_POW10 = 10 ** np.arange(19, dtype=np.int64)


def _digit_table(size: int, pad: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # Digits of 0..size-1 (left-aligned, or zero-padded) in 4-byte slots: gathering one
    # uint32 per value is much faster than dividing per digit or gathering bytes.
    width = len(str(size - 1))
    texts = [str(v).zfill(width) if pad else str(v).ljust(width) for v in range(size)]
    chars = np.frombuffer("".join(t.ljust(4) for t in texts).encode(), np.uint32)
    lengths = np.array([len(t.strip()) for t in texts], dtype=np.int64)
    used = np.ascontiguousarray(np.arange(4) < lengths[:, None]).view(np.uint32).ravel()
    return chars, lengths, used


_SMALL_CHARS, _SMALL_LENGTHS, _SMALL_USED = _digit_table(1000, pad=False)
_PAD4 = _digit_table(10_000, pad=True)[0]


def _gather(table: np.ndarray, index: np.ndarray, width: int) -> np.ndarray:
    """Rows of a 4-byte-slot table as an n x width byte matrix."""
    return table[index].view(np.uint8).reshape(-1, 4)[:, :width]


class Rows:
    """`n` texts of one shape, assembled column by column and joined into bytes at the end."""

    def __init__(self, n: int) -> None:
        self.n = n
        # Each column: its characters (n x w, or 1 x w when the same in every row) and,
        # for columns whose width varies, which of those characters each row uses.
        self._columns: list[tuple[np.ndarray, np.ndarray | None]] = []
        self._fixed_width = 0
        self._lengths: list[np.ndarray] = []

    def text(self, literal: str) -> Self:
        """Append the same text to every row."""
        raw = np.frombuffer(literal.encode(), np.uint8)
        return self._add(raw[None, :])

    def text_where(self, literal: str, present: np.ndarray) -> Self:
        """Append a text only to the rows where `present` is true."""
        raw = np.frombuffer(literal.encode(), np.uint8)
        mask = np.broadcast_to(present[:, None], (self.n, raw.size))
        return self._add(raw[None, :], mask, present.astype(np.int64) * raw.size)

    def uint(self, values: np.ndarray, width: int = 0) -> Self:
        """Append non-negative integers in decimal, zero-padded to `width` digits if given."""
        v = np.asarray(values, dtype=np.int64)
        if width:
            return self._add(_padded_digits(v, width))
        if v.size and v.min() >= 0 and v.max() < _SMALL_LENGTHS.size:
            if v.max() < 10:
                return self._add(_gather(_SMALL_CHARS, v, 1))
            used = _gather(_SMALL_USED, v, 3).view(bool)
            return self._add(_gather(_SMALL_CHARS, v, 3), used, _SMALL_LENGTHS[v])
        length = np.searchsorted(_POW10[1:], v, side="right") + 1
        widest = int(length.max(initial=1))
        if not v.size or int(length.min()) == widest:
            return self._add(_padded_digits(v, widest))
        digits = _padded_digits(v, widest)
        # Shift each row's digits left past its leading zeros.
        shift = (widest - length)[:, None] + np.arange(widest)
        place = np.minimum(shift, widest - 1)
        mask = shift < widest
        return self._add(np.take_along_axis(digits, place, axis=1), mask, length)

    def decimal(self, values: np.ndarray, places: int) -> Self:
        """Append signed decimals with exactly `places` digits after the point."""
        scaled = np.rint(np.abs(values) * 10**places).astype(np.int64)
        self.text_where("-", (values < 0) & (scaled > 0))
        self.uint(scaled // 10**places).text(".")
        return self.uint(scaled % 10**places, width=places)

    def iso(self, epochs: np.ndarray) -> Self:
        """Append epoch seconds as ISO 8601 UTC text, e.g. 2026-10-01T07:30:00Z."""
        e = np.asarray(epochs, dtype=np.int64)
        days, seconds = np.divmod(e, 86_400)
        unique, which = np.unique(days, return_inverse=True)
        names = np.datetime_as_string(unique.astype("datetime64[D]")).astype("S10")
        self._add(names.view(np.uint8).reshape(-1, 10)[which.ravel()])
        self.text("T").uint(seconds // 3600, 2).text(":").uint(seconds // 60 % 60, 2)
        return self.text(":").uint(seconds % 60, 2).text("Z")

    def render(self) -> tuple[memoryview, np.ndarray]:
        """The rows joined into one text (bytes), and the end offset of each row in it."""
        widths = [chars.shape[1] for chars, _ in self._columns]
        chars = np.empty((self.n, sum(widths)), dtype=np.uint8)
        mask = np.ones((self.n, sum(widths)), dtype=bool)
        at = 0
        for (column, used), width in zip(self._columns, widths, strict=True):
            chars[:, at : at + width] = column
            if used is not None:
                mask[:, at : at + width] = used
            at += width
        lengths = sum(self._lengths, start=np.full(self.n, self._fixed_width, dtype=np.int64))
        return chars[mask].data, np.cumsum(lengths)

    def _add(
        self, chars: np.ndarray, used: np.ndarray | None = None, lengths: np.ndarray | None = None
    ) -> Self:
        self._columns.append((chars, used))
        if lengths is None:
            self._fixed_width += chars.shape[1]
        else:
            self._lengths.append(lengths)
        return self


def _padded_digits(v: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of `v` (n x width), four digits per table lookup."""
    chunks = -(-width // 4)
    parts = [_gather(_PAD4, (v // _POW10[4 * k]) % 10_000, 4) for k in range(chunks - 1, -1, -1)]
    digits = parts[0] if chunks == 1 else np.concatenate(parts, axis=1)
    return digits[:, 4 * chunks - width :]


def bucket_lines(
    prefixes: Sequence[bytes], body: memoryview, ends: np.ndarray, bounds: Sequence[int]
) -> tuple[bytes, int]:
    """Wrap rows bounds[i]..bounds[i+1] of `body` (each ending in a comma) as bucket lines.

    Returns the text and its number of lines: a bucket with no rows is not sent at all.
    """
    offsets = [0, *ends.tolist()]
    parts: list[bytes | memoryview] = []
    for prefix, first, last in zip(prefixes, bounds, bounds[1:], strict=False):
        if last > first:
            parts += (prefix, body[offsets[first] : offsets[last] - 1], b"]}\n")
    return b"".join(parts), len(parts) // 3
