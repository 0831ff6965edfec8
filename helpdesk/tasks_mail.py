"""E-mail to case tasks (owned by the mail part): ``mailboxes_poll`` runs every minute and
queues one read per active mailbox; each read runs under its mailbox's own tenant."""

import logging

from celery import shared_task

from core.models import Tenant
from core.tenancy import all_tenants_context, tenant_context

log = logging.getLogger(__name__)


@shared_task
def mailboxes_poll() -> int:
    """Celery beat, every minute: one ``mailbox_poll_one`` per active mailbox of every
    tenant (a mailbox that fails does not hold the others back). Returns how many."""
    from .models import HelpdeskMailbox

    with all_tenants_context():
        rows = list(HelpdeskMailbox.all_tenants.filter(is_active=True)
                    .order_by("tenant_id", "pk").values_list("tenant_id", "pk"))
    for tenant_id, mailbox_id in rows:
        mailbox_poll_one.delay(tenant_id, mailbox_id)
    return len(rows)


@shared_task
def mailbox_poll_one(tenant_id: int, mailbox_id: int) -> dict:
    """``services.mail.mailbox_poll`` of one mailbox, under ``tenant_id``: a mailbox of
    another tenant is simply not found there. Two at once: the second finds the mailbox
    locked and reads nothing (``skipped``)."""
    from .models import HelpdeskMailbox
    from .services.mail import mailbox_poll

    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        return {}
    with tenant_context(tenant):
        mailbox = HelpdeskMailbox.objects.filter(pk=mailbox_id, is_active=True).first()
        if mailbox is None:
            return {}
        counts = mailbox_poll(mailbox=mailbox)
    if counts.get("error"):
        log.warning("helpdesk mailbox %s of tenant %s not read", mailbox_id, tenant_id)
    return counts
