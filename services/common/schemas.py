"""Field rules every service's schemas share."""

from marshmallow import validate

# Ids chosen by the organisation (unit and cadre codes) or by us (uuid hex): safe in URLs, queue
# names and MongoDB keys.
ID = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$",
                     error="use 1-64 letters, digits, '-' or '_'")
