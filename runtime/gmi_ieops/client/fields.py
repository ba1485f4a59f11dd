"""A request body given as keyword arguments, the way the ``openai`` client takes it.

Generated methods accept either the body model or its fields as keywords
(``client.create_embedding(model="m", input=["a"])``); their implementation receives the
fields and the per-call options in one ``**kwargs`` and splits them here.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar, cast, overload

import pydantic

from .options import CallOptions

M = TypeVar("M", bound=pydantic.BaseModel)

OPTION_NAMES = frozenset(CallOptions.__annotations__)
"""Keywords that are per-call options, never body fields (generated code keeps them apart)."""


@overload
def body_from_fields(
    model: type[M], body: M | None, given: dict[str, Any], required: Literal[True] = ...
) -> tuple[M, CallOptions]: ...


@overload
def body_from_fields(
    model: type[M], body: M | None, given: dict[str, Any], required: Literal[False]
) -> tuple[M | None, CallOptions]: ...


def body_from_fields(
    model: type[M], body: M | None, given: dict[str, Any], required: bool = True
) -> tuple[M | None, CallOptions]:
    """``(body, options)`` from a method's ``body`` argument and its other keywords.

    Without ``body``, the keywords that are not options are the body's fields, by their
    Python names (an aliased field is sent by its wire name); they are validated as the
    model's constructor would. A ``body`` and fields together are refused. An optional
    body (``required=False``, OpenAPI ``requestBody.required: false``) given neither as a
    model nor as fields is ``None``: the call sends no body.
    """
    options = {k: v for k, v in given.items() if k in OPTION_NAMES}
    fields = {k: v for k, v in given.items() if k not in OPTION_NAMES}
    if body is not None:
        if fields:
            raise TypeError(
                f"pass either a {model.__name__} or its fields as keywords, not both "
                f"(got {', '.join(sorted(fields))})"
            )
        return body, cast(CallOptions, options)
    if not fields and not required:
        return None, cast(CallOptions, options)
    unknown = sorted(set(fields) - set(model.model_fields))
    if unknown:
        raise TypeError(f"{model.__name__} has no field {', '.join(unknown)}")
    wire = {(model.model_fields[k].alias or k): v for k, v in fields.items()}
    return model.model_validate(wire), cast(CallOptions, options)
