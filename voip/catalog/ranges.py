"""Deleting a number range (ranges are made by ``voip.services.number_range_create``)."""


from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from core.actionlog import N_, action_log

from ..models import (
    NumberRange,
    PhoneNumber,
)


def number_range_delete_refusal(numbers_range: NumberRange) -> str:
    """Why the range cannot be deleted now ("" when it can)."""
    assigned = PhoneNumber.objects.filter(range=numbers_range,
                                          state=PhoneNumber.State.ASSIGNED).count()
    if assigned:
        return _("%(n)s numbers of the range are assigned to phones; remove the phones "
                 "first.") % {"n": assigned}
    return ""


def number_range_delete(*, actor, numbers_range: NumberRange) -> None:
    """Delete a range and its numbers (free or quarantined), refused while one of them is
    assigned. Locks the range; a number taken for a phone meanwhile (its row locked by
    ``services.number_take``) makes the delete wait and then refuse."""
    with transaction.atomic():
        numbers_range = NumberRange.objects.select_for_update().get(pk=numbers_range.pk)
        refusal = number_range_delete_refusal(numbers_range)
        if refusal:
            raise ValidationError(refusal)
        label, size = str(numbers_range), numbers_range.size
        _numbers_delete(numbers_range)
        if PhoneNumber.objects.filter(range=numbers_range).exists():
            # Taken for a phone while the delete waited for its row lock: kept.
            raise ValidationError(_("A number of the range was just assigned to a phone; "
                                    "the range is kept."))
        numbers_range.delete()
        action_log(actor=actor, kind="numberrange.delete",
                   message=N_("Number range %(r)s deleted"), params={"r": label},
                   changes={"numbers": [size, 0]})


def _numbers_delete(numbers_range: NumberRange) -> None:
    """The range's numbers but the assigned ones, in one statement for up to 100,000 (the
    ORM would load each row to cascade). A number ``services.number_take`` holds locked
    makes it wait; assigned by then, the number is left (the row is checked again)."""
    if connection.vendor != "postgresql":  # pragma: no cover
        PhoneNumber.objects.filter(range=numbers_range).exclude(
            state=PhoneNumber.State.ASSIGNED).delete()
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {PhoneNumber._meta.db_table} "  # noqa: S608 - table name
                       "WHERE range_id = %s AND tenant_id = %s AND state <> %s",
                       [numbers_range.pk, numbers_range.tenant_id,
                        PhoneNumber.State.ASSIGNED])


