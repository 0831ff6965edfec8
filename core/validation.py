"""Validation helpers every app's services share."""

from django.core.exceptions import ValidationError


def field_clean(name: str, clean, *args):
    """Run a validator and attach its message to the field ``name``."""
    try:
        return clean(*args)
    except ValidationError as e:
        raise ValidationError({name: e.messages}) from None


# Lengths of free text people type (model ``max_length``, which the forms and serializers
# built on them enforce): enough for any real note, far below what would slow a page.
NOTE_MAX_LENGTH = 10_000  # annotations, notes on a login
COMMENT_MAX_LENGTH = 2_000  # one-line comments, a choice list, a setting's text value
TEMPLATE_MAX_LENGTH = 200_000  # a document template's HTML or CSS
