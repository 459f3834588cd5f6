"""Field rules every service's schemas share."""

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
# true and false as JSON booleans only: "yes", 1 or "true" are refused, not guessed
STRICT_BOOL = {"truthy": {True}, "falsy": {False}}


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
    """Free text a person writes -- a reason, a deed, findings: not blank, not endless."""
    checks = [validate.Length(min=1, max=max_length), _says_something]
    if required:
        return fields.String(required=True, validate=checks, **kwargs)
    return fields.String(load_default=None, allow_none=True, validate=checks, **kwargs)


def visible_to(*roles: str) -> dict:
    """Field metadata: only these roles see the field, e.g. a complaint's reporter.

    ``fields.String(metadata=visible_to(DISCIPLINE_OFFICER))``; @rpc drops it for everyone else.
    """
    return {"visible_to": frozenset(roles)}


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
        if allowed is not None and not allowed & roles:
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
