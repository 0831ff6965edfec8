"""Staff pages of hosted mail: the card's "Konta e-mail" section and its buttons, and the
tenant's mail domains (``/mail/domains/``, administrators).

A generated password is shown once, in the answer to the POST that made it: it is kept
on the request (never in the session or a message) for the section to show.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.forms import apply_service_errors, form_write
from core.views import staff_view
from customers.models import Customer
from customers.views.base import (
    edit_page,
    section_call,
    section_done,
    section_done_showing,
)

from . import selectors, services
from .forms import (
    DomainForm,
    ForwardEditForm,
    ForwardForm,
    MailboxEditForm,
    MailboxForm,
    MailboxPasswordForm,
)
from .models import Mailbox, MailDomain, MailForward

SECTION = "mailboxes"
_SHOWN = "mailhosting_password_shown"


def mailboxes_section_context(customer, request):
    """The card's "Konta e-mail": the customer's mailboxes and forwardings, the add forms.

    Queries: mailboxes with their domains, forwardings with theirs; for a user who may
    add, the active domains the forms offer.
    """
    can_add = request.user.has_perm("mailhosting.add_mailbox") or \
        request.user.has_perm("mailhosting.add_mailforward")
    domains = selectors.maildomain_choices() if can_add else []
    return {
        "mailboxes": list(selectors.mailbox_list(customer=customer)),
        "forwards": list(selectors.mailforward_list(customer=customer)),
        "mailbox_form": MailboxForm(domains=domains, auto_id="mailbox_add_%s"),
        "forward_form": ForwardForm(domains=domains, auto_id="forward_add_%s"),
        "has_domains": bool(domains),
        "password_shown": getattr(request, _SHOWN, None),
    }


def _done(request, customer_id, *, forms=None, message=None, shown=None):
    return section_done_showing(request, customer_id, SECTION, attr=_SHOWN, shown=shown,
                                forms=forms, message=message)


def _mailbox_or_404(customer_id, mailbox_id) -> Mailbox:
    return get_object_or_404(Mailbox.objects.select_related("domain", "customer"),
                             pk=mailbox_id, customer_id=customer_id)


def _forward_or_404(customer_id, forward_id) -> MailForward:
    return get_object_or_404(MailForward.objects.select_related("domain", "customer"),
                             pk=forward_id, customer_id=customer_id)


@staff_view("mailhosting.add_mailbox")
@require_POST
def mailbox_add(request, customer_id):
    customer = get_object_or_404(Customer, pk=customer_id)
    form = MailboxForm(request.POST, domains=selectors.maildomain_choices(),
                       auto_id="mailbox_add_%s")
    created = form_write(form, lambda data: services.mailbox_create(
        actor=request.user, customer=customer, **form.service_kwargs()))
    if created is None:
        return _done(request, customer.pk, forms={"mailbox_form": form})
    mailbox, generated = created
    return _done(request, customer.pk, message=_("Mailbox %(a)s added.")
                 % {"a": mailbox.display_address},
                 shown={"address": mailbox.display_address, "password": generated}
                 if generated else None)


@staff_view("mailhosting.change_mailbox")
@require_http_methods(["GET", "POST"])
def mailbox_edit(request, customer_id, mailbox_id):
    mailbox = _mailbox_or_404(customer_id, mailbox_id)
    form = MailboxEditForm(request.POST or None,
                           initial={"quota_mb": mailbox.quota_mb, "active": mailbox.active})
    return edit_page(
        request, customer=mailbox.customer, key=SECTION,
        title=_("Mailbox %(a)s") % {"a": mailbox.display_address}, form=form,
        save=lambda data: services.mailbox_update(actor=request.user, mailbox=mailbox,
                                                  **data))


@staff_view("mailhosting.change_mailbox")
@require_POST
def mailbox_password(request, customer_id, mailbox_id):
    mailbox = _mailbox_or_404(customer_id, mailbox_id)
    form = MailboxPasswordForm(request.POST)
    generated = None
    if form.is_valid():
        try:
            generated = services.mailbox_password_set(
                actor=request.user, mailbox=mailbox, password=form.cleaned_data["password"])
        except ValidationError as e:
            apply_service_errors(form, e)
    if generated is None:
        for text in (e for errors in form.errors.values() for e in errors):
            messages.error(request, text)
        return section_done(request, customer_id, SECTION)
    return _done(request, customer_id,
                 message=_("Password of %(a)s changed.") % {"a": mailbox.display_address},
                 shown={"address": mailbox.display_address, "password": generated}
                 if generated else None)


@staff_view("mailhosting.delete_mailbox")
@require_POST
def mailbox_delete(request, customer_id, mailbox_id):
    mailbox = _mailbox_or_404(customer_id, mailbox_id)
    return section_call(request, customer_id, SECTION,
                        lambda: services.mailbox_remove(actor=request.user, mailbox=mailbox),
                        _("Mailbox %(a)s removed.") % {"a": mailbox.display_address})


@staff_view("mailhosting.add_mailforward")
@require_POST
def forward_add(request, customer_id):
    customer = get_object_or_404(Customer, pk=customer_id)
    form = ForwardForm(request.POST, domains=selectors.maildomain_choices(),
                       auto_id="forward_add_%s")
    forward = form_write(form, lambda data: services.mailforward_create(
        actor=request.user, customer=customer, **form.service_kwargs()))
    if forward is None:
        return _done(request, customer.pk, forms={"forward_form": form})
    return _done(request, customer.pk, message=_("Forwarding of %(a)s added.")
                 % {"a": forward.display_address})


@staff_view("mailhosting.change_mailforward")
@require_http_methods(["GET", "POST"])
def forward_edit(request, customer_id, mailforward_id):
    forward = _forward_or_404(customer_id, mailforward_id)
    form = ForwardEditForm(request.POST or None, initial={
        "destinations": "\n".join(forward.destinations), "keep_copy": forward.keep_copy,
        "active": forward.active})
    return edit_page(
        request, customer=forward.customer, key=SECTION,
        title=_("Forwarding of %(a)s") % {"a": forward.display_address}, form=form,
        save=lambda data: services.mailforward_update(actor=request.user, forward=forward,
                                                      **data))


@staff_view("mailhosting.delete_mailforward")
@require_POST
def forward_delete(request, customer_id, mailforward_id):
    forward = _forward_or_404(customer_id, mailforward_id)
    return section_call(request, customer_id, SECTION,
                        lambda: services.mailforward_remove(actor=request.user,
                                                            forward=forward),
                        _("Forwarding of %(a)s removed.") % {"a": forward.display_address})


# --------------------------------------------------------------------------- domains


def _domains_page(request, form=None, status=200):
    return render(request, "mailhosting/domains.html", {
        "domains": list(selectors.maildomain_list()),
        "form": form or DomainForm(), "can_add": request.user.has_perm(
            "mailhosting.add_maildomain")}, status=status)


@staff_view("mailhosting.view_maildomain")
@require_http_methods(["GET", "POST"])
def domain_list(request):
    if request.method == "GET":
        return _domains_page(request)
    if not request.user.has_perm("mailhosting.add_maildomain"):
        raise PermissionDenied
    form = DomainForm(request.POST)
    domain = form_write(form, lambda data: services.maildomain_add(actor=request.user,
                                                                   **data))
    if domain is None:
        return _domains_page(request, form, status=400)
    messages.success(request, _("Domain %(d)s added.") % {"d": domain.display_name})
    return redirect("mailhosting:domains")


def _domain_or_404(domain_id) -> MailDomain:
    try:
        return MailDomain.objects.get(pk=domain_id)
    except MailDomain.DoesNotExist:
        raise Http404 from None


@staff_view("mailhosting.change_maildomain")
@require_POST
def domain_toggle(request, maildomain_id):
    domain = _domain_or_404(maildomain_id)
    domain = services.maildomain_update(actor=request.user, domain=domain,
                                        active=not domain.active)
    messages.success(request, (_("Domain %(d)s switched on.") if domain.active else
                               _("Domain %(d)s switched off.")) % {"d": domain.display_name})
    return redirect("mailhosting:domains")


@staff_view("mailhosting.delete_maildomain")
@require_POST
def domain_delete(request, maildomain_id):
    domain = _domain_or_404(maildomain_id)
    try:
        services.maildomain_remove(actor=request.user, domain=domain)
    except ValidationError as e:
        for text in e.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("Domain %(d)s removed.") % {"d": domain.display_name})
    return redirect("mailhosting:domains")
