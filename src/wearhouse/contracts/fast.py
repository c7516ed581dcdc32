"""Batch validators derived from the stream models, for the ingestion hot paths.

Validating a JSON array of records into model instances costs most of an ingestion request; the
same rules applied to plain dicts (TypedDicts built from the models' own fields, constraints
and configuration) run about three times faster in pydantic-core and build no objects. For HTTP
bodies, msgspec Structs derived from the same models check the JSON text itself in one C pass,
without building the records as Python dicts first. Both only answer "is every record valid?":
any failure falls back to the models for the message.
"""

from __future__ import annotations

import datetime as dt
import types
from functools import cache
from typing import Annotated, Any, Literal, NotRequired, Union, get_args, get_origin

import annotated_types
import msgspec
from pydantic import BaseModel, ConfigDict, Field, RootModel, TypeAdapter
from typing_extensions import TypedDict

from wearhouse.contracts import STREAMS


def _typed_dict(model: type[BaseModel]) -> Any:
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        annotation = (
            Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
        )
        fields[name] = annotation if info.is_required() else NotRequired[annotation]
    config = ConfigDict(
        **{
            k: v
            for k, v in model.model_config.items()
            if k in ("extra", "str_min_length", "coerce_numbers_to_str")
        }
    )  # type: ignore[typeddict-item]
    shape = TypedDict(f"{model.__name__}Dict", fields)  # type: ignore[operator]
    shape.__pydantic_config__ = config  # type: ignore[attr-defined]
    return shape


def _members(model: type[BaseModel]) -> tuple[type[BaseModel], ...]:
    """The record models a stream model accepts: its branches for a union root model, else itself."""
    if not issubclass(model, RootModel):
        return (model,)
    inner = model.model_fields["root"].annotation
    return get_args(get_args(inner)[0]) if get_origin(inner) is Annotated else get_args(inner)


def _shape(model: type[BaseModel]) -> Any:
    if issubclass(model, RootModel):
        union = Union[tuple(_typed_dict(m) for m in _members(model))]  # noqa: UP007
        return Annotated[union, Field(union_mode="left_to_right")]
    return _typed_dict(model)


@cache
def batch_validator(stream: str) -> TypeAdapter[list[Any]]:
    """A validator of a list of plain records of the stream, equivalent to its model."""
    return TypeAdapter(list[_shape(STREAMS[stream])])  # type: ignore[valid-type]


EPOCH_SECONDS_BOUND = 20_000_000_000
"""pydantic reads a number up to this size as epoch seconds and a larger one as milliseconds; the
msgspec Structs take numbers up to it only (stricter; a larger one goes to the models)."""

_BOUNDS = {
    annotated_types.Gt: "gt",
    annotated_types.Ge: "ge",
    annotated_types.Lt: "lt",
    annotated_types.Le: "le",
}


class AnyObject(msgspec.Struct, gc=False):
    """Any JSON object: what `dict[str, Any]` accepts from JSON, checked without building it."""


def _bounded(kind: type, metadata: list[Any]) -> Any:
    bounds: dict[str, Any] = {}
    for item in metadata:
        if type(item) not in _BOUNDS:
            raise TypeError(f"no msgspec equivalent for the constraint {item!r}")
        bounds[_BOUNDS[type(item)]] = getattr(item, _BOUNDS[type(item)])
    return Annotated[kind, msgspec.Meta(**bounds)] if bounds else kind


def _struct_type(annotation: Any, metadata: list[Any], config: ConfigDict) -> Any:
    """The msgspec type accepting no JSON value that `annotation` (with its field's constraints
    and its model's configuration) rejects; a type without a known equivalent is an error."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (Union, types.UnionType):
        members = tuple(
            None if a is type(None) else _struct_type(a, metadata, config) for a in args
        )
        return Union[members]  # noqa: UP007
    if metadata and annotation not in (int, float):
        raise TypeError(f"no msgspec equivalent for {annotation} with {metadata}")
    if origin is Literal and all(isinstance(a, str) for a in args):
        return annotation
    if origin is list:
        return list[_struct_type(args[0], [], config)]  # type: ignore[misc]
    if origin is dict and args == (str, Any):
        return AnyObject
    if annotation is str:
        text = Annotated[str, msgspec.Meta(min_length=config.get("str_min_length") or 0)]
        return text | int if config.get("coerce_numbers_to_str") else text
    if annotation is dt.datetime:
        whole = msgspec.Meta(ge=-EPOCH_SECONDS_BOUND, le=EPOCH_SECONDS_BOUND)
        real = msgspec.Meta(ge=float(-EPOCH_SECONDS_BOUND), le=float(EPOCH_SECONDS_BOUND))
        return dt.datetime | Annotated[int, whole] | Annotated[float, real]
    if annotation in (int, float):
        return _bounded(annotation, metadata)
    if annotation in (dt.date, Any):
        return annotation
    raise TypeError(f"no msgspec equivalent for {annotation}")


# Model settings the Structs reproduce; any other (str_max_length, strict, ...) could make the
# model stricter than its Struct, so a model with one gets no Struct until it is handled here.
_KNOWN_CONFIG = {"extra", "str_min_length", "coerce_numbers_to_str"}


def _struct(model: type[BaseModel]) -> type[msgspec.Struct]:
    decorators = model.__pydantic_decorators__
    if decorators.field_validators or decorators.model_validators or decorators.validators:
        raise TypeError(f"{model.__name__} has validators that a msgspec Struct would not run")
    config = model.model_config
    if unknown := set(config) - _KNOWN_CONFIG:
        raise TypeError(f"{model.__name__}: no msgspec equivalent for the settings {unknown}")
    fields: list[Any] = []
    for name, info in model.model_fields.items():
        if info.alias or info.validation_alias:  # the Struct would read another key
            raise TypeError(f"{model.__name__}.{name}: aliases have no msgspec equivalent")
        kind = _struct_type(info.annotation, info.metadata, config)
        if info.is_required():
            fields.append((name, kind))
        elif info.default is None:
            fields.append((name, kind, None))
        else:
            raise TypeError(f"{model.__name__}.{name}: only None defaults have an equivalent")
    # gc=False: thousands of Structs per request, none of which can be part of a cycle, stay
    # out of the garbage collector's way (a quarter of the decoding time).
    return msgspec.defstruct(
        f"{model.__name__}Struct",
        fields,
        kw_only=True,
        forbid_unknown_fields=config.get("extra") == "forbid",
        gc=False,
    )


@cache
def record_structs(stream: str) -> tuple[type[msgspec.Struct], ...]:
    """msgspec Structs of the stream's record shapes (one per branch of a union), in the
    model's order, each accepting only records its model accepts."""
    return tuple(_struct(member) for member in _members(STREAMS[stream]))


@cache
def array_decoders(stream: str) -> tuple[msgspec.json.Decoder[Any], ...]:
    """Decoders of a JSON array whose records all have one shape of the stream, shape by shape."""
    return tuple(msgspec.json.Decoder(list[s]) for s in record_structs(stream))  # type: ignore[valid-type]


@cache
def record_decoders(stream: str) -> tuple[msgspec.json.Decoder[Any], ...]:
    """Decoders of one record of the stream, shape by shape."""
    return tuple(msgspec.json.Decoder(s) for s in record_structs(stream))


__all__ = ["AnyObject", "array_decoders", "batch_validator", "record_decoders", "record_structs"]
