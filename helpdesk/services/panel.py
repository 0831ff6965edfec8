"""The customer panel's writes to tickets ("Zgłoszenia"): the panel's rules (a type the
tenant offers in the panel, mandatory fields filled, no reply to a closed ticket, only
one's own tickets), then the cases part's services, which lock, journal, content-check
files and write the action log as the customer's action (``actor`` is the ``Customer``,
or the staff member viewing the panel as them)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..case_fields import case_data_clean
from ..models import Case, CaseSource, CaseStatus, CaseType, CommentSource
from . import cases as case_services


def _ticket_lock(case: Case, customer) -> Case:
    """The ticket locked, checked to be the customer's and not closed: staff closing it
    at the same moment wait for the reply, or the reply sees it closed."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.customer_id != customer.pk:
        raise Case.DoesNotExist  # a view turns it into a 404
    if case.status == CaseStatus.CLOSED:
        raise ValidationError(_("This ticket is closed: add a new ticket instead."))
    return case


def panel_ticket_create(*, actor, customer, case_type: CaseType, title: str,
                        description: str = "", data: dict | None = None,
                        uploaded_file=None) -> Case:
    """A ticket of ``customer`` in ``case_type``'s default queue, with its mandatory
    fields (``case_data_clean(require_mandatory=True)``) and an optional file, all or
    nothing. Raises ValidationError (a type not offered in the panel too)."""
    if not (case_type.is_active and case_type.panel_visible):
        raise ValidationError({"case_type": [_("This type of ticket cannot be added in the "
                                               "panel.")]})
    data = case_data_clean(case_type, data, require_mandatory=True)
    with transaction.atomic():  # the case and its file together, or neither
        case = case_services.case_create(
            actor=actor, case_type=case_type, title=title, description=description,
            queue=case_type.default_queue, priority=case_type.default_priority,
            customer=customer, data=data, source=CaseSource.PANEL, by_customer=True,
            attachments=[uploaded_file] if uploaded_file is not None else ())
    return case


def panel_ticket_reply(*, actor, customer, case: Case, body: str, uploaded_file=None):
    """The customer's reply (always public), with an optional file: the cases part sets
    a waiting ticket back in progress. A closed ticket refuses it."""
    with transaction.atomic():
        case = _ticket_lock(case, customer)
        return case_services.case_comment_add(
            actor=actor, case=case, body=body, is_public=True, by_customer=True,
            source=CommentSource.PANEL,
            attachments=[uploaded_file] if uploaded_file is not None else ())


def panel_ticket_attach(*, actor, customer, case: Case, uploaded_file):
    """A file the customer adds to their ticket (public; content-checked by the cases
    part). A closed ticket refuses it."""
    with transaction.atomic():
        case = _ticket_lock(case, customer)
        return case_services.case_attachment_add(actor=actor, case=case,
                                                 uploaded_file=uploaded_file, is_public=True)
