"""Batch validators derived from the stream models, for the ingestion hot path.

Validating a JSON array of records into model instances costs most of an ingestion request; the
same rules applied to plain dicts (TypedDicts built from the models' own fields, constraints
and configuration) run about three times faster in pydantic-core and build no objects. They
only answer "is every record valid?": any failure falls back to the models for the message.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, NotRequired, Union, get_args, get_origin

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


def _shape(model: type[BaseModel]) -> Any:
    if issubclass(model, RootModel):
        inner = model.model_fields["root"].annotation
        members = (
            get_args(get_args(inner)[0]) if get_origin(inner) is Annotated else get_args(inner)
        )
        union = Union[tuple(_typed_dict(m) for m in members)]  # noqa: UP007
        return Annotated[union, Field(union_mode="left_to_right")]
    return _typed_dict(model)


@cache
def batch_validator(stream: str) -> TypeAdapter[list[Any]]:
    """A validator of a list of plain records of the stream, equivalent to its model."""
    return TypeAdapter(list[_shape(STREAMS[stream])])  # type: ignore[valid-type]


__all__ = ["batch_validator"]
