"""Field rules every service's schemas share."""

import re

from marshmallow import Schema, ValidationError, fields, missing, validate


# Ids chosen by the organisation (unit and cadre codes) or by us (uuid hex): safe in URLs, queue
# names and MongoDB keys.
def _one_line(value: str) -> bool:
    # re.match with "$" accepts a trailing newline; the OpenAPI pattern (JSON Schema) does not
    if "\n" in value:
        raise ValidationError("use 1-64 letters, digits, '-' or '_'")
    return True


ID = [validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$",
                      error="use 1-64 letters, digits, '-' or '_'"), _one_line]


# a year of appraisal, of a budget, of a report
YEAR = validate.Range(min=2000, max=2100)


class JsonBool(fields.Boolean):
    """true and false as JSON booleans only: "yes", 1 or "true" are refused, not guessed (a set of
    truthy values would not do: 1 == True in Python)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if type(value) is not bool:
            raise self.make_error("invalid", input=value)
        return value


class QueryBool(fields.Boolean):
    """A query string has no types: its booleans are the words true and false, nothing else."""

    def _deserialize(self, value, attr, data, **kwargs):
        if type(value) is bool:
            return value
        if value in ("true", "false") and type(value) is str:
            return value == "true"
        raise self.make_error("invalid", input=value)


# Characters that make text read as something else: C0/C1 controls (a line break or tab is allowed
# in free text, never in a name) and the direction marks, embeddings, overrides and isolates that
# reorder what a reader sees ("Trojan Source"), plus the zero-width joiners and BOM that hide.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"[\t\n\r\u2028\u2029]")
_INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def _no_hidden_characters(text: str) -> bool:
    if _CONTROLS.search(text):
        raise ValidationError("No control characters.")
    if _INVISIBLE.search(text):
        raise ValidationError("No direction marks, overrides or invisible characters.")
    return True


def _one_line_text(text: str) -> bool:
    if _LINE_BREAKS.search(text):
        raise ValidationError("One line: no line breaks or tabs.")
    return True


def unique(values) -> bool:
    """A list that names each item once."""
    if len(set(values)) != len(values):
        raise ValidationError("Name each one once.")
    return True


def _says_something(text: str) -> bool:
    if not text.strip():
        raise ValidationError("Say what it is: blank text is not enough.")
    return True


def Text(required: bool = True, max_length: int = 4000, **kwargs) -> fields.String:  # noqa: N802
    """Free text a person writes -- a reason, a deed, findings: not blank, not endless, nothing
    hidden in it."""
    return _text([validate.Length(min=1, max=max_length), _says_something, _no_hidden_characters],
                 required, **kwargs)


def Name(required: bool = True, max_length: int = 200, **kwargs) -> fields.String:  # noqa: N802
    """A person's, unit's or programme's name: one line of text that says something, with nothing
    hidden in it, since officers find people by what they read."""
    return _text([validate.Length(min=1, max=max_length), _says_something, _no_hidden_characters,
                  _one_line_text], required, **kwargs)


def _text(checks: list, required: bool, **kwargs) -> fields.String:
    if required is None:  # optional without a default: an update that leaves the field alone
        return fields.String(validate=checks, **kwargs)
    if required:
        return fields.String(required=True, validate=checks, **kwargs)
    return fields.String(load_default=None, allow_none=True, validate=checks, **kwargs)


def visible_to(*roles: str, when=None) -> dict:
    """Field metadata: only these roles see the field, e.g. a complaint's reporter; with ``when`` (a
    predicate on the dumped record), only on the records it holds for, e.g. an early-warning talk's
    matter.

    ``fields.String(metadata=visible_to(DISCIPLINE_OFFICER))``; @rpc drops it for everyone else.
    """
    return {"visible_to": frozenset(roles), "hidden_when": when}


def strip_hidden(schema, data, roles):
    """``data`` dumped by ``schema`` without the fields ``roles`` may not see (recursively)."""
    if isinstance(data, list):
        return [strip_hidden(schema, item, roles) for item in data]
    if not isinstance(data, dict):
        return data
    roles = set(roles)
    kept = dict(data)
    for name, field in schema.fields.items():
        key = field.data_key or name
        allowed = field.metadata.get("visible_to")
        when = field.metadata.get("hidden_when")
        if allowed is not None and not allowed & roles and (when is None or when(data)):
            kept.pop(key, None)
            continue
        inner = getattr(field, "inner", None)  # List(Nested(...))
        nested = getattr(inner or field, "schema", None)
        if nested is not None and key in kept:
            kept[key] = strip_hidden(nested, kept[key], roles)
    return kept


class TransitionSchema(Schema):
    """One entry of an aggregate's history (services/common/decision.py)."""

    from_ = fields.String(data_key="from", attribute="from", allow_none=True)
    to = fields.String()
    by = fields.String()
    at = fields.AwareDateTime()
    reason = fields.String(allow_none=True)
    action = fields.String()


class Unset(fields.Nested):
    """A nested record the store keeps as ``{}`` until it is set (a proposal, a ruling): ``null`` on
    the wire until then."""

    def __init__(self, nested, **kwargs):
        super().__init__(nested, allow_none=True, **kwargs)

    def get_value(self, obj, attr, accessor=None, default=missing):
        return super().get_value(obj, attr, accessor=accessor, default=None) or None
