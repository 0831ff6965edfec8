"""What every page of the customer card shares: the card, its sections, its forms."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from core.forms import apply_service_errors
from core.sections import (
    card_actions_for,
    card_category_members,
    card_section_anchor,
    card_section_find,
    card_sections_for,
    card_summary_for,
    card_tabs,
)
from core.views import staff_view  # noqa: F401  (the views of this package import it from here)
from customers import selectors_ui
from customers.forms import (
    AddressForm,
    AnnotationForm,
    AttributeForm,
    BankAccountForm,
    ConsentForm,
    EmailForm,
    FolderForm,
    GroupAddForm,
    PanelCredentialsForm,
    PhoneForm,
    ScanForm,
)
from customers.models import Customer


def _panel_form(customer, **kwargs):
    # The card's customer comes with its account; a view's own lookup asks for it. No
    # account raises RelatedObjectDoesNotExist, an AttributeError.
    panel = getattr(customer, "panel_account", None)
    return PanelCredentialsForm(initial={"login": panel.login if panel else ""}, **kwargs)


# The forms shown inside the card's sections, by name. A refused one is shown again,
# bound, with the service's messages; the others blank.
CARD_FORMS = {
    "phone_add": lambda customer, **kw: PhoneForm(**kw),
    "email_add": lambda customer, **kw: EmailForm(**kw),
    "consent_set": lambda customer, **kw: ConsentForm(
        initial={"granted": True, "given_on": timezone.localdate()}, **kw),
    "address_add": lambda customer, **kw: AddressForm(initial={"country": "PL"}, **kw),
    "attribute_set": lambda customer, **kw: AttributeForm(**kw),
    "group_add": lambda customer, **kw: GroupAddForm(**kw),
    "folder_add": lambda customer, **kw: FolderForm(**kw),
    "scan_add": lambda customer, **kw: ScanForm(folders=list(customer.folders.all()), **kw),
    "bank_account_add": lambda customer, **kw: BankAccountForm(**kw),
    "panel_credentials": _panel_form,
    "annotation_add": lambda customer, **kw: AnnotationForm(**kw),
}


def card_form(name, customer, data=None, files=None):
    return CARD_FORMS[name](customer, data=data, files=files, auto_id=f"{name}_%s")


def card_url(customer_id, section_key: str | None = None) -> str:
    """The card, or the card open at section ``section_key``: ``?sekcja=historia`` shows
    it without JavaScript, ``#historia`` keeps the tab when the page is reloaded."""
    url = reverse("customers:card", kwargs={"customer_id": customer_id})
    if not section_key:
        return url
    anchor = card_section_anchor(section_key)
    return f"{url}?sekcja={anchor}#{anchor}"


def load_card(customer_id) -> Customer:
    try:
        return selectors_ui.customer_card_display(pk=customer_id)
    except Customer.DoesNotExist:
        raise Http404 from None


def _render_section(request, customer, section, forms) -> str:
    context = {"customer": customer, "section": section, "forms": forms,
               "category_members": card_category_members(section, request.user)}
    if section.context:
        context.update(section.context(customer, request))
    return render_to_string("customers/card/_section.html", context, request=request)


def _card_forms(customer, forms):
    blank = {name: card_form(name, customer) for name in CARD_FORMS}
    return {**blank, **(forms or {})}


def _render_lazy(request, customer, section) -> str:
    return render_to_string("customers/card/_section_lazy.html",
                            {"customer": customer, "section": section}, request=request)


def _render_summary(request, customer) -> list[str]:
    """The blocks other apps add to the header (balance, logins, ...), each with its own
    context; an empty context leaves its block out."""
    blocks = []
    for item in card_summary_for(request.user):
        context = item.context(customer, request)
        if context:
            blocks.append(mark_safe(render_to_string(  # noqa: S308
                item.template, {"customer": customer, **context}, request=request)))
    return blocks


def render_summary(request, customer) -> HttpResponse:
    return render(request, "customers/card/_summary.html", {
        "customer": customer, "summary": _render_summary(request, customer)})


def render_card(request, customer_id, *, forms=None, active: str | None = None):
    """The card: its summary header, the tabs of its sections, the sidebar of actions and
    one section — ``active`` (the one whose form was refused), else ``?sekcja=`` (anchor
    or key), else the first. The others are not rendered: a tab loads its section by htmx.

    Without JavaScript each tab is a link to ``?sekcja=``; ``?full=1`` shows every section,
    as do parameters of no section's tab (the action log's filters sent by a plain form).
    """
    customer = load_card(customer_id)
    sections = card_sections_for(request.user)
    named = active or request.GET.get("sekcja", "")
    current = card_section_find(named, request.user) if named else None
    if named and current is None:
        raise Http404  # a section that does not exist or the user may not see
    show_all = request.GET.get("full") == "1" or (bool(request.GET) and not named)
    if current is None and not show_all:
        current = sections[0] if sections else None
    shown = sections if show_all else [s for s in sections if s is current]
    # In place when asked for with parameters (a tab's link, filters, ?full=1) or to show
    # a refused form; a lazy section asked for bare is loaded by htmx after the card.
    in_place = forms is not None or bool(request.GET)
    forms = _card_forms(customer, forms)
    rendered = [mark_safe(  # noqa: S308
        _render_lazy(request, customer, section) if section.lazy and not in_place
        else _render_section(request, customer, section, forms))
        for section in shown]
    url = reverse("customers:card", kwargs={"customer_id": customer.pk})
    return render(request, "customers/card.html", {
        "customer": customer, "sections": rendered, "tabs": card_tabs(sections),
        "active": None if show_all else current, "show_all": show_all,
        "summary": _render_summary(request, customer),
        "actions": card_actions_for(request.user, customer.pk, url),
        "show_annotations": request.user.has_perm("customers.view_annotation"),
    })


def render_section(request, customer_id, key, *, forms=None):
    """One section, as htmx swaps it in place (404 if the user may not see it)."""
    section = card_section_find(key, request.user)
    if section is None:
        raise Http404
    customer = load_card(customer_id)
    return HttpResponse(_render_section(request, customer, section,
                                        _card_forms(customer, forms)))


def section_done(request, customer_id, key, *, forms=None, message=None):
    """After a write or a refused one: htmx gets the section again, a plain form the card."""
    failed = any(form.errors for form in (forms or {}).values())
    if message and not failed:
        messages.success(request, message)
    if request.htmx:
        response = render_section(request, customer_id, key, forms=forms)
        if not failed:
            # Other sections (the action log) refresh themselves on this event.
            response["HX-Trigger"] = "card-changed"
        return response
    if failed:
        return render_card(request, customer_id, forms=forms, active=key)
    return redirect(card_url(customer_id, key))


def section_done_showing(request, customer_id, key, *, attr: str, shown, forms=None,
                         message=None):
    """``section_done`` for a write whose answer shows something once (a generated
    password): ``shown`` is kept on the request as ``attr`` for the section's context, and
    the section (or the card open at it) is rendered in this answer itself."""
    if shown is None:
        return section_done(request, customer_id, key, forms=forms, message=message)
    setattr(request, attr, shown)
    if message:
        messages.success(request, message)
    if request.htmx:
        response = render_section(request, customer_id, key, forms=forms)
        response["HX-Trigger"] = "card-changed"
        return response
    return render_card(request, customer_id, forms=forms or {}, active=key)


def section_write(request, customer, key, form_name, write, message):
    """Parse the card form ``form_name``, hand its data to ``write`` (one service call)."""
    form = card_form(form_name, customer, request.POST, request.FILES)
    if form.is_valid():
        try:
            write(form.cleaned_data)
        except ValidationError as e:
            apply_service_errors(form, e)
    return section_done(request, customer.pk, key, forms={form_name: form}, message=message)


def section_call(request, customer_id, key, call, message):
    """A write without a form (remove, pin): refused writes show as an error message."""
    try:
        call()
    except ValidationError as e:
        for text in e.messages:
            messages.error(request, text)
        message = None
    return section_done(request, customer_id, key, message=message)


def edit_page(request, *, customer, form, key, title, save, template="customers/edit.html"):
    """GET: the form on its own page; POST: ``save`` (one service call), back to the card."""
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("Saved."))
            return redirect(card_url(customer.pk, key))
    return render(request, template, {
        "customer": customer, "form": form, "title": title,
        "cancel_url": card_url(customer.pk, key),
    })
