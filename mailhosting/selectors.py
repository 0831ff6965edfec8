"""Reads of hosted mail; each owns its select_related, so templates and serializers
cause no query."""

from django.db.models import Count, QuerySet

from .models import Mailbox, MailDomain, MailForward


def maildomain_list(*, active_only: bool = False) -> QuerySet:
    """The tenant's domains, with how many mailboxes and forwardings each has."""
    domains = MailDomain.objects.annotate(
        mailbox_count=Count("mailboxes", distinct=True),
        forward_count=Count("forwards", distinct=True)).order_by("name")
    return domains.filter(active=True) if active_only else domains


def maildomain_choices() -> list[MailDomain]:
    """The active domains a new address may be in."""
    return list(MailDomain.objects.filter(active=True).order_by("name"))


def mailbox_list(*, customer) -> QuerySet:
    return Mailbox.objects.filter(customer=customer).select_related("domain") \
        .order_by("domain__name", "local_part")


def mailforward_list(*, customer) -> QuerySet:
    return MailForward.objects.filter(customer=customer).select_related("domain") \
        .order_by("domain__name", "local_part")
