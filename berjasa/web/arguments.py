"""Request schemas that are both the validation and the OpenAPI document, for the
kelurahan server and central (flask-smorest ``@blp.arguments`` / ``@blp.response``).

Use :class:`Blueprint` and :class:`Api` from here, never flask-smorest's own:

- a JSON body is read by :func:`berjasa.web.bodies.read_json` (415 when not JSON,
  413 over the route's limit, 400 ``malformed_json``), never by webargs;
- a body that fails its schema is the one error shape, 422 ``validation_error``
  naming every bad field (:class:`berjasa.problems.ValidationFailed`), never
  webargs' 422 body: :meth:`Parser.handle_error` is the single place that turns
  marshmallow's messages into it;
- the document's error responses are the project's :class:`ProblemSchema`.

Body schemas derive from :class:`JsonBody` (its class attributes say how the body
is read); query-string schemas from :class:`QueryArgs`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, ClassVar, NoReturn

import flask_smorest
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, pre_load, validate
from webargs import core
from webargs.flaskparser import FlaskParser

from berjasa.messages import NOT_OBJECT, UNKNOWN_FIELD, coded, flatten_errors
from berjasa.problems import MalformedJson, ValidationFailed
from berjasa.web.answers import document_shared_answers
from berjasa.web.bodies import read_json

UNKNOWN_PARAMETER = coded("Parameter ini tidak dikenal; hapus dari alamat permintaan.",
                          "unknown_field")


class ProblemSchema(Schema):
    """The one error shape (docs/api.md): ``code`` and ``message`` always; 422 adds
    ``errors`` and ``error_codes`` (field -> Indonesian messages / stable codes)."""

    code = fields.String(required=True)
    message = fields.String(required=True)
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    error_codes = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    existing_id = fields.String()


class JsonBody(Schema):
    """A JSON request body. Fields not declared are ignored (``unknown = EXCLUDE``)
    unless a schema says ``RAISE``; a body that is not an object is a 422 on ``_body``.

    Class attributes (not fields) say how the body is read:
    ``body_limit`` bytes (None: the app's limit), ``body_optional`` (a request
    without a body reads as ``{}``), ``body_lenient`` (a missing, non-JSON,
    unreadable or non-object body reads as ``{}``: for a route whose only answer to
    any bad input is its field errors, like the receipt lookup),
    ``non_object_is_malformed`` (JSON that is not an object is 400 ``malformed_json``,
    as central's device API has always answered), ``never_invalid`` (the schema
    takes any object, so its route answers no 422: the login, whose bad input is a
    failed login)."""

    body_limit: ClassVar[int | None] = None
    body_optional: ClassVar[bool] = False
    body_lenient: ClassVar[bool] = False
    non_object_is_malformed: ClassVar[bool] = False
    never_invalid: ClassVar[bool] = False
    error_messages: ClassVar[dict[str, str]] = {"type": NOT_OBJECT, "unknown": UNKNOWN_FIELD}

    class Meta:
        unknown = EXCLUDE


class QueryArgs(Schema):
    """Query-string arguments: unknown names are ignored and an empty value
    (``?status=``) counts as not given."""

    class Meta:
        unknown = EXCLUDE

    @pre_load
    def _drop_empty(self, data: Any, **kwargs: Any) -> dict[str, Any]:
        return {name: data[name] for name in data if data[name] != ""}


class StrictQueryArgs(QueryArgs):
    """Query-string arguments where an unknown name is a 422 naming it
    (``unknown_field``): for callers that send only what they know, like the sync
    agent's signed requests (docs/sync-protocol.md, "Updates cursor")."""

    error_messages: ClassVar[dict[str, str]] = {"unknown": UNKNOWN_PARAMETER}

    class Meta:
        unknown = RAISE


def whole_number(low: int, high: int, message: str, code: str, **kwargs: Any) -> fields.Integer:
    """An integer field within ``low..high`` whose every fault (not a number, out
    of range) is one coded message; ``strict`` for JSON bodies, text in a query."""
    text = coded(message, code)
    return fields.Integer(validate=validate.Range(low, high, error=text),
                          error_messages={"invalid": text, "null": text, "required": text},
                          **kwargs)


class Parser(FlaskParser):
    """webargs' parser with the project's body reading and its one error shape.
    Unknown names are as each schema's ``Meta.unknown`` says (webargs would
    exclude them from every query string: :class:`StrictQueryArgs` refuses them)."""

    DEFAULT_UNKNOWN_BY_LOCATION: ClassVar[dict[str, str | None]] = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": None, "querystring": None}

    def load_json(self, req: Any, schema: Schema) -> Any:
        """The body as :func:`read_json` reads it, within the schema's limit."""
        if getattr(schema, "body_lenient", False):
            body = req.get_json(silent=True)
            return body if isinstance(body, dict) else core.missing
        if getattr(schema, "body_optional", False) and not req.content_length:
            return core.missing
        limit = getattr(schema, "body_limit", None) or req.max_content_length
        body = read_json(limit)
        if getattr(schema, "non_object_is_malformed", False) and not isinstance(body, dict):
            raise MalformedJson()
        return body

    def handle_error(self, error: ValidationError, req: Any, schema: Schema, *,
                     error_status_code: int | None,
                     error_headers: Any) -> NoReturn:
        """Every schema failure, any location: 422 naming each bad field."""
        messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        merged: dict[str, Any] = {}
        for location_messages in messages.values():  # {"json": {...}, "query": {...}}
            if isinstance(location_messages, dict):
                merged.update(location_messages)
            else:
                merged.setdefault("_schema", []).extend(location_messages)
        raise ValidationFailed(*flatten_errors(merged))


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with :class:`Parser`; a JSON body's route also
    documents the 400 (malformed), 413 (too large) and 415 (not JSON) answers
    (a lenient body: only 413, as reading it may still find it too large), and
    no 422 when its schema is ``never_invalid``."""

    ARGUMENTS_PARSER = Parser()

    def arguments(self, schema: Any, *, location: str = "json", **kwargs: Any) -> Any:
        """``@blp.arguments`` (see flask-smorest) with the body answers documented."""
        decorator = super().arguments(schema, location=location, **kwargs)
        if location != "json":
            return decorator
        statuses = (413,) if getattr(schema, "body_lenient", False) else (400, 413, 415)

        def documented(func: Any) -> Any:
            wrapper = decorator(func)
            responses = wrapper._apidoc["arguments"]["responses"]
            for status in statuses:
                responses.setdefault(status, HTTPStatus(status).name)
            if getattr(schema, "never_invalid", False):
                responses.pop(422, None)
            return wrapper

        return documented


class Api(flask_smorest.Api):
    """flask-smorest's Api whose documented errors are :class:`ProblemSchema`, and
    whose OpenAPI document is written when first read (``GET /openapi.json`` or
    :attr:`spec`), not while the app is built.

    Routes, validation and error handlers are set up at once, as flask-smorest
    does; only the document waits. Writing it is most of an app's build (about
    two thirds of 54 ms for the kelurahan server), which every start of ``serve``
    and every test app paid for a document few of them ever read. Whatever adds
    to the document goes through :meth:`document`."""

    ERROR_SCHEMA = ProblemSchema
    # No catch-all "default" answer: each route documents the statuses it gives
    # (berjasa.web.answers), so a client and schemathesis see every one of them.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def __init__(self, app: Any = None, **kwargs: Any) -> None:
        self._written: Any = None  # the apispec.APISpec, complete once _ready
        self._ready = False
        self._spec_options: dict[str, Any] | None = None
        self._steps: list[Callable[[Any], None]] = []
        self._writing = threading.RLock()  # flask-smorest reads self.spec while writing it
        self._writer: int | None = None
        super().__init__(app, **kwargs)

    @property
    def spec(self) -> Any:
        """The document (an ``apispec.APISpec``), written on first use and whole
        for every reader (others wait while one thread writes it); None before
        :meth:`init_app`."""
        if not self._ready and self._spec_options is not None:
            with self._writing:
                if not self._ready and self._writer is None:
                    self._writer = threading.get_ident()
                    try:
                        super()._init_spec(**self._spec_options)
                        for step in self._steps:
                            step(self._written)
                        self._steps.clear()
                        self._ready = True
                    finally:
                        self._writer = None
        return self._written

    @spec.setter
    def spec(self, value: Any) -> None:
        self._written = value

    @property
    def written(self) -> bool:
        """Whether the document has been written (read) yet."""
        return self._ready

    def _init_spec(self, **options: Any) -> None:
        """Called by :meth:`init_app`: keep the options until the document is read."""
        self._spec_options = options

    def document(self, step: Callable[[Any], None]) -> None:
        """Run ``step(spec)`` when the document is written (now, if it is)."""
        if self._ready:
            step(self._written)
        else:
            self._steps.append(step)

    def document_answers(self, matrix: Any, **options: Any) -> None:
        """Add the answers every route shares (401/403 from ``matrix``, a full
        disk, ...: :func:`berjasa.web.answers.document_shared_answers` with
        ``options``) to each operation; call it after registering the blueprints."""
        self.document(lambda spec: document_shared_answers(spec, self._app, matrix, **options))

    def register_field(self, field: Any, *args: Any) -> None:
        """Map a custom marshmallow field to an OpenAPI type (see flask-smorest)."""
        self._fields.append((field, *args))  # read by _init_spec
        if self._ready:
            self._register_field(field, *args)

    def register_converter(self, converter: Any, func: Any) -> None:
        """Document a custom path converter (see flask-smorest)."""
        self._converters.append((converter, func))  # read by _init_spec
        if self._ready:
            self._register_converter(converter, func)

    def register_blueprint(self, blp: Any, *, parameters: Any = None, **options: Any) -> None:
        """Register the blueprint in the app now and in the document when it is
        written (flask-smorest's ``register_blueprint``, in two steps)."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)

        def describe(spec: Any) -> None:
            blp.register_views_in_doc(self, self._app, spec, name=name, parameters=parameters)
            spec.tag({"name": name, "description": blp.description})

        self.document(describe)


__all__ = ["RAISE", "Api", "Blueprint", "JsonBody", "Parser", "ProblemSchema", "QueryArgs",
           "StrictQueryArgs", "whole_number"]
