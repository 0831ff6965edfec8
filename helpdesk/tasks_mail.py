"""E-mail to case tasks (owned by the mail part): ``mailboxes_poll`` runs every minute."""

from celery import shared_task


@shared_task
def mailboxes_poll() -> int:
    return 0
