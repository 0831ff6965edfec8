"""Validation helpers every app's services share."""

from django.core.exceptions import ValidationError


def field_clean(name: str, clean, *args):
    """Run a validator and attach its message to the field ``name``."""
    try:
        return clean(*args)
    except ValidationError as e:
        raise ValidationError({name: e.messages}) from None
