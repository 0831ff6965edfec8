"""Message templates of the tenant ("szablony wiadomości"): every write, and the preview.

A template is saved only when it renders: on the sample customer (``sample_context``, the
same for every tenant, with a debt and two open invoices so loops over ``invoices`` run)
in the documents' sandbox (``messaging.rendering``) — a ``{% load %}``, an
``{% include %}`` or a loop that runs for ever is refused with the reason and nothing is
saved. An SMS or a device message has no subject; an e-mail needs one. Names are unique
per channel.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from core.actionlog import action_log, diff_fields
from core.tenancy import current_tenant

from . import rendering, services, sms
from .models import BulkSend, Channel, MessageTemplate

# Channels whose messages have a subject line.
SUBJECT_CHANNELS = (Channel.EMAIL,)
NAME_MAX = 100
SUBJECT_MAX = 200
EDITABLE = ("name", "subject", "body", "is_active")


@dataclass(frozen=True)
class Preview:
    """A template rendered for one customer; ``segments`` for an SMS."""

    subject: str
    body: str
    customer: object | None  # None: the sample customer
    segments: sms.Segments | None = None


def sample_context(*, tenant) -> dict:
    """The context of a made-up customer: what a template is checked on when saved."""
    from customers.models import Customer

    customer = Customer(number=1024, kind=Customer.Kind.PERSON, first_name="Jan",
                        last_name="Kowalski", virtual_account="12105000020000000000001024")
    today = timezone.localdate()
    invoices = [
        {"number": "FV/1/2026", "left": Decimal("80.00"),
         "due": today - datetime.timedelta(days=14)},
        {"number": "FV/2/2026", "left": Decimal("40.00"),
         "due": today + datetime.timedelta(days=7)},
    ]
    return rendering._context(tenant=tenant, customer=customer, balance=Decimal("-120.00"),
                              invoices=invoices, today=today)


def _render(*, channel: str, subject: str, body: str, context: dict) -> rendering.Rendered:
    """Render or raise ``ValidationError`` naming the field that failed."""
    try:
        rendered_subject = rendering.message_render(subject=subject, body="",
                                                    context=context).subject
    except rendering.TemplateError as e:
        raise ValidationError({"subject": [str(e)]}) from None
    try:
        rendered_body = rendering.message_render(subject="", body=body, context=context).body
    except rendering.TemplateError as e:
        raise ValidationError({"body": [str(e)]}) from None
    return rendering.Rendered(subject=rendered_subject, body=rendered_body)


def template_clean(*, channel: str, name: str, subject: str, body: str,
                   template: MessageTemplate | None = None) -> dict:
    """The fields as stored, checked: the one rule for the staff pages and the API.
    Raises ``ValidationError`` by field."""
    errors: dict[str, list] = {}
    if channel not in Channel.values:
        raise ValidationError({"channel": [_("Choose a channel.")]})
    name = " ".join((name or "").split())
    subject = " ".join((subject or "").split())
    body = (body or "").replace("\r\n", "\n").strip()
    if not name:
        errors["name"] = [_("Give the template a name.")]
    elif len(name) > NAME_MAX:
        errors["name"] = [_("The name is longer than %(n)s characters.") % {"n": NAME_MAX}]
    elif (MessageTemplate.objects.filter(channel=channel, name__iexact=name)
          .exclude(pk=getattr(template, "pk", None)).exists()):
        errors["name"] = [_duplicate_message(channel, name)]
    if channel in SUBJECT_CHANNELS:
        if not subject:
            errors["subject"] = [_("An e-mail template needs a subject.")]
        elif len(subject) > SUBJECT_MAX:
            errors["subject"] = [_("The subject is longer than %(n)s characters.")
                                 % {"n": SUBJECT_MAX}]
    elif subject:
        errors["subject"] = [_("An SMS or a device message has no subject; leave it empty.")]
    if not body:
        errors["body"] = [_("The template is empty.")]
    elif len(body) > MessageTemplate._meta.get_field("body").max_length:
        errors["body"] = [_("The template is longer than %(n)s characters.")
                          % {"n": MessageTemplate._meta.get_field("body").max_length}]
    if errors:
        raise ValidationError(errors)
    rendered = _render(channel=channel, subject=subject, body=body,
                       context=sample_context(tenant=current_tenant()))
    if not rendered.body:
        raise ValidationError({"body": [_("The template renders to an empty text.")]})
    limit = services.MAX_BODY[channel]
    if len(rendered.body) > limit:
        raise ValidationError({"body": [_("On the sample customer the text is %(len)s "
                                          "characters long; at most %(n)s may be sent.")
                                        % {"len": len(rendered.body), "n": limit}]})
    return {"channel": channel, "name": name, "subject": subject, "body": body}


def _duplicate_message(channel: str, name: str) -> str:
    return (_("A template for %(channel)s named “%(name)s” already exists; choose another "
              "name.") % {"channel": Channel(channel).label, "name": name})


def _save(template: MessageTemplate, fields) -> None:
    """Save; a name taken by a concurrent request meanwhile is the same clear error."""
    try:
        with transaction.atomic():
            template.save(update_fields=fields)
    except IntegrityError:
        raise ValidationError({"name": [_duplicate_message(template.channel,
                                                           template.name)]}) from None


@transaction.atomic
def message_template_create(*, actor, channel: str, name: str, body: str, subject: str = "",
                            is_active: bool = True) -> MessageTemplate:
    """A new template; refused (nothing saved) when it does not render on the sample."""
    data = template_clean(channel=channel, name=name, subject=subject, body=body)
    template = MessageTemplate(is_active=is_active, **data)
    _save(template, None)
    action_log(actor=actor, kind="messagetemplate.create",
               message=N_("Message template “%(name)s” (%(channel)s) created"),
               params={"name": template.name, "channel": template.get_channel_display()})
    return template


@transaction.atomic
def message_template_update(*, actor, template: MessageTemplate, name: str | None = None,
                            subject: str | None = None, body: str | None = None,
                            is_active: bool | None = None) -> MessageTemplate:
    """Change a template; a field left None keeps its value. Locks the template. The
    channel never changes (messages and bulk sends refer to it)."""
    template = MessageTemplate.objects.select_for_update().get(pk=template.pk)
    before = {f: getattr(template, f) for f in EDITABLE}
    data = template_clean(channel=template.channel,
                          name=template.name if name is None else name,
                          subject=template.subject if subject is None else subject,
                          body=template.body if body is None else body, template=template)
    template.name, template.subject, template.body = data["name"], data["subject"], data["body"]
    if is_active is not None:
        template.is_active = is_active
    changes = diff_fields(template, before, EDITABLE)
    if not changes:
        return template
    _save(template, [*changes, "updated_at"])
    if "body" in changes:  # a long text in the log says nothing: "changed" does
        changes["body"] = ["…", "…"]
    action_log(actor=actor, kind="messagetemplate.update",
               message=N_("Message template “%(name)s” changed"),
               params={"name": template.name}, changes=changes)
    return template


@transaction.atomic
def message_template_delete(*, actor, template: MessageTemplate) -> None:
    """Delete a template no bulk send used (their history names it); messages sent from it
    keep their text. Locks the template."""
    template = MessageTemplate.objects.select_for_update().get(pk=template.pk)
    used = BulkSend.objects.filter(template=template).count()
    if used:
        raise ValidationError(_(
            "The template “%(name)s” was used by %(n)s bulk send(s) and cannot be deleted; "
            "make it inactive instead.") % {"name": template.name, "n": used})
    action_log(actor=actor, kind="messagetemplate.delete",
               message=N_("Message template “%(name)s” (%(channel)s) deleted"),
               params={"name": template.name, "channel": template.get_channel_display()})
    template.delete()


def message_template_preview(*, channel: str, body: str, subject: str = "",
                             customer=None) -> Preview:
    """The (unsaved) template rendered for ``customer`` — the sample customer when None —
    with the SMS's characters and parts. Raises ``ValidationError`` by field."""
    if channel not in Channel.values:
        raise ValidationError({"channel": [_("Choose a channel.")]})
    if not (body or "").strip():
        raise ValidationError({"body": [_("The template is empty.")]})
    context = (rendering.context_for(customer) if customer is not None
               else sample_context(tenant=current_tenant()))
    rendered = _render(channel=channel, subject=subject if channel in SUBJECT_CHANNELS else "",
                       body=(body or "").replace("\r\n", "\n"), context=context)
    return Preview(subject=rendered.subject, body=rendered.body, customer=customer,
                   segments=sms.segments(rendered.body) if channel == Channel.SMS else None)
