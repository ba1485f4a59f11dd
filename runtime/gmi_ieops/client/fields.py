"""A request body given as keyword arguments, the way the ``openai`` client takes it.

Generated methods accept either the body model or its fields as keywords
(``client.create_embedding(model="m", input=["a"])``); their implementation receives the
fields and the per-call options in one ``**kwargs`` and splits them here.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

import pydantic

from .options import CallOptions

M = TypeVar("M", bound=pydantic.BaseModel)

OPTION_NAMES = frozenset(CallOptions.__annotations__)
"""Keywords that are per-call options, never body fields (generated code keeps them apart)."""


def body_from_fields(
    model: type[M], body: M | None, given: dict[str, Any]
) -> tuple[M, CallOptions]:
    """``(body, options)`` from a method's ``body`` argument and its other keywords.

    Without ``body``, the keywords that are not options are the body's fields, by their
    Python names (an aliased field is sent by its wire name); they are validated as the
    model's constructor would. A ``body`` and fields together are refused.
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
    unknown = sorted(set(fields) - set(model.model_fields))
    if unknown:
        raise TypeError(f"{model.__name__} has no field {', '.join(unknown)}")
    wire = {(model.model_fields[k].alias or k): v for k, v in fields.items()}
    return model.model_validate(wire), cast(CallOptions, options)
