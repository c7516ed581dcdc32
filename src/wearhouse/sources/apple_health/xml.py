"""Streaming the records of an Apple Health export.xml with the standard library's expat parser.

expat is what xml.etree's iterparse runs on; driving it directly builds no tree at all and gives
each element's line number, which errors and skip notes quote. Only the children of
<HealthData> are reported: Records nested in a <Correlation> repeat top-level ones (so says the
export's own DTD) and are not counted twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import IO
from xml.parsers import expat

CHUNK_BYTES = 1 << 20

Element = tuple[int, str, dict[str, str]]
"""(line, tag, attributes) of one child of <HealthData>."""


class AppleXmlError(ValueError):
    """The export stops being well-formed XML at a line and column."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


def iter_elements(
    handle: IO[bytes], on_read: Callable[[int], None] | None = None
) -> Iterator[Element]:
    """Each child element of <HealthData>, in file order, read in 1 MB chunks."""
    parser = expat.ParserCreate()
    found: list[Element] = []
    depth = 0

    def start(tag: str, attributes: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth == 2:
            found.append((parser.CurrentLineNumber, tag, attributes))

    def end(tag: str) -> None:
        nonlocal depth
        depth -= 1

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    while True:
        data = handle.read(CHUNK_BYTES)
        if on_read:
            on_read(len(data))
        try:
            parser.Parse(data, not data)
        except expat.ExpatError as exc:
            yield from found  # what was complete before the error is good
            raise AppleXmlError(
                f"not well-formed XML ({expat.ErrorString(exc.code)})", exc.lineno, exc.offset
            ) from None
        yield from found
        found.clear()
        if not data:
            return
