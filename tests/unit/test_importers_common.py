"""The pieces every importer shares: streaming JSON arrays, value normalisation, the summary."""

from __future__ import annotations

import io
import json

import pytest

from wearhouse.cli.importers import compress, grouped
from wearhouse.sources import jsonarray
from wearhouse.sources.jsonarray import JsonArrayError, iter_json_array
from wearhouse.sources.values import clean_text, number, slug

ITEMS = [
    {"dateTime": "10/07/17 13:00:11", "value": {"bpm": 110, "confidence": 2}},
    {"dateTime": "2019-11-01 00:48:00", "value": "12"},
    [1, 2, {"nested": "]},["}],
    "a string with , and ] inside",
    12345678901234567890,
    -1.5e3,
    None,
    True,
]


@pytest.fixture
def tiny_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 7 characters: every item, number and string is cut somewhere."""
    monkeypatch.setattr(jsonarray, "CHUNK_CHARS", 7)


@pytest.mark.parametrize("indent", [None, 2])
def test_items_are_streamed_exactly_across_chunk_boundaries(
    tiny_chunks: None, indent: int | None
) -> None:
    text = json.dumps(ITEMS, indent=indent)
    got = list(iter_json_array(io.StringIO(text)))
    assert got == list(enumerate(ITEMS))


def test_a_number_cut_at_the_end_of_a_chunk_is_read_whole(tiny_chunks: None) -> None:
    text = "[1234567890123,  98765432]"
    assert [item for _, item in iter_json_array(io.StringIO(text))] == [1234567890123, 98765432]


def test_read_progress_adds_up_to_the_text_length(tiny_chunks: None) -> None:
    text = json.dumps(ITEMS)
    seen: list[int] = []
    list(iter_json_array(io.StringIO(text), seen.append))
    assert sum(seen) == len(text)


def test_empty_array_has_no_items() -> None:
    assert list(iter_json_array(io.StringIO("  [ ]\n"))) == []


def test_a_malformed_item_names_its_index_and_offset_after_yielding_the_good_ones() -> None:
    text = '[{"a": 1}, {"a": 2}, {"a": }, {"a": 4}]'
    stream = iter_json_array(io.StringIO(text))
    assert [next(stream), next(stream)] == [(0, {"a": 1}), (1, {"a": 2})]
    with pytest.raises(JsonArrayError, match="item 2 is not valid JSON") as caught:
        next(stream)
    assert caught.value.items == 2
    assert text[caught.value.offset] == "}"


def test_a_truncated_file_says_the_array_is_not_closed() -> None:
    with pytest.raises(JsonArrayError, match=r"ends inside the array") as caught:
        list(iter_json_array(io.StringIO('[{"a": 1}, {"a": 2}')))
    assert caught.value.items == 2


def test_an_object_file_is_refused_as_not_an_array() -> None:
    with pytest.raises(JsonArrayError, match="not a JSON array"):
        list(iter_json_array(io.StringIO('{"dateTime": "x"}')))


def test_items_must_be_separated_by_commas() -> None:
    with pytest.raises(JsonArrayError, match="expected ',' or ']' after item 0"):
        list(iter_json_array(io.StringIO('[{"a": 1} {"a": 2}]')))


@pytest.mark.parametrize(
    ("sent", "kept"),
    [("12", 12), (" 70.5 ", 70.5), (70, 70), ("abc", "abc"), ("", ""), (None, None), (True, True)],
)
def test_numbers_sent_as_text_become_numbers_and_the_rest_is_kept(
    sent: object, kept: object
) -> None:
    got = number(sent)
    assert got == kept and type(got) is type(kept)


def test_slugs_and_clean_text() -> None:
    assert slug("Alexandre's Apple Watch") == "alexandres-apple-watch"
    assert slug("Simon\u2019s iPhone") == "simons-iphone"
    assert slug("Élan  Vital 2") == "elan-vital-2"
    assert slug("!!!") == "unnamed"
    assert clean_text("male\xa0") == "male"
    assert clean_text(" \xa0 ") is None
    assert clean_text(None) is None


def test_positions_are_compressed_into_ranges() -> None:
    positions = ["item 2", "item 3", "item 8", "item 9", "item 10", "item 12"]
    assert compress(positions) == "items 2-3, 8-10, 12 (6)"
    assert compress(["line 4"]) == "line 4"
    assert compress(["char 17"]) == "char 17"


def test_consecutive_skips_with_one_reason_are_grouped_per_file() -> None:
    items = [
        ("a.json", "item 1", "zero"),
        ("a.json", "item 2", "zero"),
        ("a.json", "item 5", "other"),
        ("b.json", "item 6", "other"),
    ]
    assert grouped(items) == [
        "a.json items 1-2 (2): zero",
        "a.json item 5: other",
        "b.json item 6: other",
    ]
