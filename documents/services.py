"""Every write of the documents engine; each one is recorded in the action log.

Issuing takes the number in a short transaction that locks the number series, then
renders the PDF outside any lock and stores it. A template is checked when each version
is saved, so a broken template is never stored and never issues anything.
"""

import uuid
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from core.actionlog import action_log, staff_of
from core.numbering import number_next, pattern_validate
from core.tenancy import current_tenant
from core.tenant_settings import setting_get
from customers.models import Customer, GroupDefaultTemplate
from customers.scans import upload_check

from . import rendering
from .models import (
    Document,
    DocumentBatch,
    DocumentDownload,
    DocumentFile,
    DocumentScan,
    DocumentTemplate,
    DocumentTemplateVersion,
    DocumentType,
)

DOCUMENT_LANGUAGE = "pl"

SAMPLE_BODY = """<h1>{{ document.type|capfirst }} nr {{ document.number }}</h1>
<p>{{ tenant.name }}, {{ document.date }}</p>
<p><strong>{{ customer.name }}</strong> (nr klienta {{ customer.number }})<br>
{{ addresses.residence.text }}</p>
"""

# --------------------------------------------------------------------------- templates


def _check_template(body: str, css: str, document_type: str) -> None:
    """Render the body on a sample customer; a broken template is refused with its line."""
    try:
        rendering.render_html(body, sample_context(document_type))
    except rendering.TemplateError as e:
        raise ValidationError({"body": [str(e)]}) from None
    if len(css) > rendering.MAX_TEMPLATE_CHARS:
        raise ValidationError({"css": [_("The style sheet is too long.")]})


def contract_subscriptions(*, customer: Customer) -> list[dict]:
    """The customer's tariffs as templates see them (``subscriptions``); finance owns them."""
    from finance.billing import contract_subscriptions as finance_subscriptions

    return finance_subscriptions(customer=customer)


def sample_context(document_type: str) -> dict:
    """The documented context filled with a made-up customer: for previews and checks."""
    from customers.models import Address

    tenant = current_tenant()
    customer = Customer(tenant=tenant, number=1234, first_name="Jan", last_name="Przykładowy",
                        pesel="44051401458", status=Customer.Status.CONNECTED,
                        virtual_account="66105000020000000000001234")
    residence = Address(kind="residence", street="Długa", building_no="5", apartment_no="2",
                        postal_code="00-950", city="Warszawa")
    with translation.override(DOCUMENT_LANGUAGE):
        return rendering.document_context(
            tenant=tenant, customer=customer, addresses=[residence], phones=["+48601234567"],
            emails=["jan@example.pl"], number="UM/2026/1",
            document_type_label=str(DocumentType(document_type).label),
            issued_on=timezone.localdate(), subscriptions=[{
                "tariff": "Internet 300 Mb/s", "price_net": "64.23", "price_gross": "79.00",
                "vat_rate": "23", "period": "miesięczny", "discount": "0.00",
                "start": date_format(timezone.localdate(), "j E Y"), "end": ""}])


def document_template_create(*, actor, document_type: str, name: str, body: str = SAMPLE_BODY,
                             css: str = "", is_default: bool = False) -> DocumentTemplate:
    """Create a template (version 1) in the active tenant; names are unique per type."""
    name = (name or "").strip()
    errors = {}
    if document_type not in DocumentType.values:
        errors["document_type"] = [_("Unknown document type.")]
    if not name:
        errors["name"] = [_("This field is required.")]
    if errors:
        raise ValidationError(errors)
    _check_template(body, css, document_type)
    if DocumentTemplate.objects.filter(document_type=document_type, name__iexact=name).exists():
        raise ValidationError({"name": [_("A template of this type and name exists.")]})
    try:
        with transaction.atomic():
            if is_default:
                DocumentTemplate.objects.filter(document_type=document_type,
                                                is_default=True).update(is_default=False)
            template = DocumentTemplate.objects.create(document_type=document_type, name=name,
                                                       is_default=is_default)
            _new_version(template, body, css, actor)
            action_log(actor=actor, kind="document_template.create",
                       message=N_("Document template “%(n)s” (%(t)s) created"),
                       params={"n": name, "t": DocumentType(document_type).label})
    except IntegrityError:
        # A concurrent creation of the same name won the race.
        raise ValidationError({"name": [_("A template of this type and name exists.")]}) from None
    return template


def _new_version(template, body, css, actor) -> DocumentTemplateVersion:
    last = template.versions.order_by("-version").values_list("version", flat=True).first()
    version = DocumentTemplateVersion.objects.create(
        template=template, version=(last or 0) + 1, body=body, css=css,
        created_by=staff_of(actor))
    template.current_version = version
    template.save(update_fields=["current_version"])
    return version


def document_template_update(*, actor, template: DocumentTemplate, body: str, css: str = "",
                             name: str | None = None,
                             is_default: bool | None = None) -> DocumentTemplate:
    """Save a new version of the template; documents already issued keep theirs."""
    _check_template(body, css, template.document_type)
    with transaction.atomic():
        template = DocumentTemplate.objects.select_for_update().get(pk=template.pk)
        current = template.current_version
        if name is not None and name.strip() and name.strip() != template.name:
            if DocumentTemplate.objects.filter(document_type=template.document_type,
                                               name__iexact=name.strip()) \
                    .exclude(pk=template.pk).exists():
                raise ValidationError({"name": [_("A template of this type and name exists.")]})
            template.name = name.strip()
        if is_default is not None and is_default != template.is_default:
            if is_default:
                DocumentTemplate.objects.filter(document_type=template.document_type,
                                                is_default=True).update(is_default=False)
            template.is_default = is_default
        template.save(update_fields=["name", "is_default"])
        if current is None or current.body != body or current.css != css:
            version = _new_version(template, body, css, actor)
            action_log(actor=actor, kind="document_template.update",
                       message=N_("Document template “%(n)s” saved as version %(v)s"),
                       params={"n": template.name, "v": version.version})
    return template


@contextmanager
def _bounded(field: str | None = None):
    """One render budget (``DOCUMENT_RENDER_SECONDS``, ``DOCUMENT_MAX_PAGES``) for the
    template and its layout together; a template error or a passed limit becomes a
    ``ValidationError`` (on ``field`` when given) saying which."""
    try:
        with rendering.render_budget():
            yield
    except rendering.TemplateError as e:
        raise (ValidationError({field: [str(e)]}) if field else ValidationError(str(e))) \
            from None


def template_preview(*, document_type: str, body: str, css: str = "") -> bytes:
    """A PDF of unsaved template text on the sample customer; raises ``ValidationError``.

    Bounded like every render: a runaway template is stopped at the limit, whose name
    the error gives. Long previews run in a worker (``template_preview_start``).
    """
    if document_type not in DocumentType.values:
        raise ValidationError({"document_type": [_("Unknown document type.")]})
    if len(css) > rendering.MAX_TEMPLATE_CHARS:
        raise ValidationError({"css": [_("The style sheet is too long.")]})
    context = sample_context(document_type)
    with _bounded("body"), translation.override(DOCUMENT_LANGUAGE):
        html = rendering.render_html(body, context)
        return rendering.render_pdf(html_body=html, css=css, number=context["document"]["number"],
                                    code="ABN000000000")


PREVIEW_TTL = 3600


def _job_state(key: str | None, *, actor) -> dict | None:
    """A worker job's state kept in the cache, only for the tenant and user who started it
    (anyone else, an unknown or an expired job: None)."""
    state = cache.get(key) if key else None
    if state is None or state["tenant_id"] != current_tenant().pk \
            or state["user_id"] != getattr(actor, "pk", None):
        return None
    return state


def _preview_key(job_id: str, part: str = "state") -> str:
    return f"documents:preview:{job_id}:{part}"


def template_preview_start(*, actor, document_type: str, body: str, css: str = "") -> dict:
    """Queue a preview of unsaved template text in a worker (``tasks.template_preview``);
    returns the job's state. Run eagerly (no broker), it is already finished.

    A preview can take as long as ``DOCUMENT_RENDER_SECONDS``: a worker waits for it, not
    the web request. The state and the PDF are kept in the cache for ``PREVIEW_TTL``.
    """
    from .tasks import template_preview as task

    if document_type not in DocumentType.values:
        raise ValidationError({"document_type": [_("Unknown document type.")]})
    if len(body) > rendering.MAX_TEMPLATE_CHARS:
        raise ValidationError({"body": [_("The template is too long.")]})
    job_id = uuid.uuid4().hex
    cache.set(_preview_key(job_id), {
        "id": job_id, "tenant_id": current_tenant().pk, "user_id": getattr(actor, "pk", None),
        "status": "queued", "errors": []}, PREVIEW_TTL)
    # Nothing is written to the database: no commit to wait for.
    task.delay(current_tenant().pk, job_id, document_type, body, css)
    return template_preview_get(actor=actor, job_id=job_id)


def template_preview_get(*, actor, job_id: str) -> dict | None:
    """A preview job's state (``status``: queued, running, done, failed; ``errors``), or
    None when it is unknown, expired, or another tenant's or user's."""
    return _job_state(_preview_key(job_id) if job_id else None, actor=actor)


def template_preview_pdf(*, actor, job_id: str) -> bytes | None:
    """The finished preview's PDF, or None (see ``template_preview_get``)."""
    state = template_preview_get(actor=actor, job_id=job_id)
    if state is None or state["status"] != "done":
        return None
    return cache.get(_preview_key(job_id, "pdf"))


def template_preview_run(*, job_id: str, document_type: str, body: str, css: str) -> None:
    """The worker's part of a preview: render within the limits, keep the PDF or why not."""
    state = cache.get(_preview_key(job_id))
    if state is None:
        return
    state.update(status="running")
    cache.set(_preview_key(job_id), state, PREVIEW_TTL)
    try:
        pdf = template_preview(document_type=document_type, body=body, css=css)
    except ValidationError as e:
        state.update(status="failed", errors=e.messages)
    except Exception:
        state.update(status="failed", errors=[_("The preview failed unexpectedly.")])
        raise
    else:
        cache.set(_preview_key(job_id, "pdf"), pdf, PREVIEW_TTL)
        state.update(status="done")
    finally:
        cache.set(_preview_key(job_id), state, PREVIEW_TTL)


def default_templates(*, customer: Customer, document_types) -> dict[str, DocumentTemplate]:
    """The template each type is issued from when none is chosen: the default of the
    customer's groups (they agree: ``customers.services`` refuses a conflict), else the
    tenant's default. Two queries whatever the number of types."""
    found = {d.document_type: d.template for d in GroupDefaultTemplate.objects.filter(
        group__memberships__customer=customer, document_type__in=list(document_types))
        .select_related("template").order_by("pk")}
    missing = [t for t in document_types if t not in found]
    if missing:
        for template in DocumentTemplate.objects.filter(document_type__in=missing,
                                                        is_default=True):
            found[template.document_type] = template
    return found


def template_choose(*, customer: Customer, document_type: str,
                    chosen: DocumentTemplate | None = None) -> DocumentTemplate:
    """The chosen template, else the default of the customer's groups, else the tenant's."""
    if chosen is not None:
        if chosen.document_type != document_type:
            raise ValidationError({"template": [_("The template is of another type.")]})
        return chosen
    default = default_templates(customer=customer, document_types=[document_type]) \
        .get(document_type)
    if default is None:
        raise ValidationError({"template": [_(
            "There is no template for “%(t)s”: choose one or set a default.")
            % {"t": DocumentType(document_type).label}]})
    return default


# --------------------------------------------------------------------------- issuing

def _render(document: Document, version: DocumentTemplateVersion) -> bytes:
    customer = (Customer.objects.prefetch_related("addresses", "phones", "emails")
                .get(pk=document.customer_id))
    with translation.override(DOCUMENT_LANGUAGE):
        context = rendering.document_context(
            tenant=current_tenant(), customer=customer, addresses=customer.addresses.all(),
            phones=[p.number for p in customer.phones.all()],
            emails=[e.address for e in customer.emails.all()], number=document.number,
            document_type_label=str(DocumentType(document.document_type).label),
            issued_on=timezone.localtime(document.issued_at).date(),
            parent_number=document.parent.number if document.parent_id else "",
            subscriptions=contract_subscriptions(customer=customer))
    with _bounded(), translation.override(DOCUMENT_LANGUAGE):
        html = rendering.render_html(version.body, context)
        return rendering.render_pdf(html_body=html, css=version.css, number=document.number,
                                    code=document.code)


def _store_file(document: Document, pdf: bytes, actor) -> DocumentFile:
    last = document.files.order_by("-version").values_list("version", flat=True).first()
    version = (last or 0) + 1
    stored = DocumentFile(tenant_id=document.tenant_id, document=document, version=version,
                          created_by=staff_of(actor))
    stored.file.save(f"{document.code}-v{version}.pdf", ContentFile(pdf), save=False)
    stored.save()
    return stored


def _issue_check(*, customer: Customer, document_type: str,
                 template: DocumentTemplate | None, parent: Document | None,
                 subscription=None, fault_fee=None) -> DocumentTemplate:
    """What refuses an issue before anything is written or rendered; the template to use."""
    if document_type not in DocumentType.values:
        raise ValidationError({"document_type": [_("Unknown document type.")]})
    if parent is not None and parent.customer_id != customer.pk:
        raise ValidationError({"parent": [_("The related document is another customer's.")]})
    if document_type in (DocumentType.ANNEX, DocumentType.TERMINATION) and (
            parent is None or parent.document_type != DocumentType.CONTRACT):
        raise ValidationError({"parent": [_("An annex or a termination refers to a contract.")]})
    if subscription is not None:
        if subscription.customer_id != customer.pk:
            raise ValidationError({"subscription": [_(
                "The subscription is another customer's.")]})
        if document_type not in SUBSCRIPTION_DOCUMENT_TYPES:
            raise ValidationError({"document_type": [_(
                "A subscription's document is a contract, an annex or a termination.")]})
        if template is None:
            template = tariff_template(tariff=subscription.tariff, document_type=document_type)
    if fault_fee is not None:
        _fault_fee_check(document_type=document_type, subscription=subscription,
                         fault_fee=fault_fee)
    return template_choose(customer=customer, document_type=document_type, chosen=template)


# "Dokumenty do taryf": the documents a subscription is issued, from its tariff's templates.
SUBSCRIPTION_DOCUMENT_TYPES = (DocumentType.CONTRACT, DocumentType.ANNEX,
                               DocumentType.TERMINATION)
TARIFF_TEMPLATE_FIELDS = {DocumentType.CONTRACT: "contract_template",
                          DocumentType.ANNEX: "annex_template",
                          DocumentType.TERMINATION: "termination_template"}


def tariff_template(*, tariff, document_type: str) -> DocumentTemplate | None:
    """The tariff's own template of the type, or None (then ``template_choose`` picks the
    group's or the tenant's default)."""
    field = TARIFF_TEMPLATE_FIELDS.get(document_type)
    return getattr(tariff, field) if field else None


def _fault_fee_check(*, document_type: str, subscription, fault_fee):
    """A termination by the customer's fault charges a debit note: only a termination of a
    subscription, and an amount above zero."""
    from finance.money import document_max_refusal, to_money

    if document_type != DocumentType.TERMINATION or subscription is None:
        raise ValidationError({"fault_fee": [_(
            "Only the termination of a subscription can charge a debit note.")]})
    try:
        fee = to_money(fault_fee)
    except (ArithmeticError, ValueError, TypeError):
        fee = None
    if fee is None or fee <= 0:
        raise ValidationError({"fault_fee": [_("The debit note's amount must be above zero.")]})
    # Refused here, before the termination is issued: the debit note comes after it.
    if refusal := document_max_refusal(fee):
        raise ValidationError({"fault_fee": [refusal]})
    return fee


def _issue_key(job_id: str) -> str:
    return f"documents:issue:{job_id}"


def document_issue_start(*, actor, customer: Customer, document_type: str,
                         template: DocumentTemplate | None = None,
                         parent: Document | None = None, title: str = "",
                         subscription=None, fault_fee=None) -> dict:
    """Issue one document in a worker (``tasks.document_issue``); returns the job's state.

    What refuses the issue without rendering (type, related contract, template) is raised
    here at once; the render, which may take up to ``DOCUMENT_RENDER_SECONDS``, is the
    worker's, not the web request's. Run eagerly (no broker), the job is already finished.
    The state (``status``: queued, running, done, failed; ``document_id``, ``number``,
    ``errors``, ``field_errors``) is kept in the cache for ``PREVIEW_TTL``.
    """
    from django.utils import translation

    from .tasks import document_issue as task

    _issue_check(customer=customer, document_type=document_type, template=template,
                 parent=parent, subscription=subscription, fault_fee=fault_fee)
    job_id = uuid.uuid4().hex
    cache.set(_issue_key(job_id), {
        "id": job_id, "tenant_id": current_tenant().pk, "user_id": getattr(actor, "pk", None),
        "customer_id": customer.pk, "status": "queued", "errors": [], "field_errors": {},
        "document_id": None, "number": ""}, PREVIEW_TTL)
    task.delay(current_tenant().pk, job_id, customer.pk, getattr(actor, "pk", None),
               document_type, getattr(template, "pk", None), getattr(parent, "pk", None),
               title, translation.get_language(), getattr(subscription, "pk", None),
               None if fault_fee is None else str(fault_fee))
    return document_issue_job_get(actor=actor, job_id=job_id)


def document_issue_job_get(*, actor, job_id: str) -> dict | None:
    """An issue job's state, or None when it is unknown, expired, or another tenant's or
    user's."""
    return _job_state(_issue_key(job_id) if job_id else None, actor=actor)


def document_issue_run(*, job_id: str, actor, customer: Customer, document_type: str,
                       template: DocumentTemplate | None, parent: Document | None,
                       title: str, subscription=None, fault_fee=None) -> None:
    """The worker's part of ``document_issue_start``: issue, and keep the outcome."""
    state = cache.get(_issue_key(job_id))
    if state is None:
        return
    state.update(status="running")
    cache.set(_issue_key(job_id), state, PREVIEW_TTL)
    try:
        document = document_issue(actor=actor, customer=customer, document_type=document_type,
                                  template=template, parent=parent, title=title,
                                  subscription=subscription, fault_fee=fault_fee)
    except ValidationError as e:
        state.update(status="failed", errors=e.messages,
                     field_errors=e.message_dict if hasattr(e, "error_dict") else {})
    except Exception:
        state.update(status="failed", errors=[_("Issuing the document failed unexpectedly.")])
        raise
    else:
        state.update(status="done", document_id=document.pk, number=document.number)
    finally:
        cache.set(_issue_key(job_id), state, PREVIEW_TTL)


def document_issue(*, actor, customer: Customer, document_type: str,
                   template: DocumentTemplate | None = None, parent: Document | None = None,
                   title: str = "", batch: DocumentBatch | None = None,
                   subscription=None, fault_fee=None) -> Document:
    """Issue a document: choose the template, take the next number, render and store the PDF.

    Locks the number series only while the number is taken (first transaction). The PDF is
    rendered after that commit; should rendering still fail, the document is removed again.

    ``subscription``: the document is that subscription's contract, annex or termination
    ("dokumenty do taryf"), from its tariff's template unless one is chosen. ``fault_fee``:
    a termination by the customer's fault, charged by a debit note of that amount
    (``finance.services.debit_note_issue``) once the termination is issued.
    """
    chosen = _issue_check(customer=customer, document_type=document_type, template=template,
                          parent=parent, subscription=subscription, fault_fee=fault_fee)
    # The version was checked when it was saved (create/update refuse a broken template).
    version = chosen.current_version
    pattern = pattern_validate(setting_get(f"documents.number_pattern.{document_type}"))
    with transaction.atomic():
        number = number_next(series=f"document.{document_type}", pattern=pattern,
                             when=timezone.localdate())
        document = Document.objects.create(
            customer=customer, document_type=document_type, number=number,
            template_version=version, parent=parent, title=title.strip()[:200],
            batch=batch, subscription=subscription, issued_by=staff_of(actor))
    try:
        pdf = _render(document, version)
        with transaction.atomic():
            _store_file(document, pdf, actor)
            action_log(actor=actor, customer=customer, kind="document.issue",
                       message=N_("Document %(n)s issued (%(t)s, template “%(tpl)s” v%(v)s)"),
                       params={"n": number, "t": DocumentType(document_type).label,
                               "tpl": chosen.name, "v": version.version})
    except Exception:
        Document.objects.filter(pk=document.pk).delete()
        raise
    if fault_fee is not None:
        _termination_debit_note(actor=actor, document=document, subscription=subscription,
                                fee=_fault_fee_check(document_type=document_type,
                                                     subscription=subscription,
                                                     fault_fee=fault_fee))
    return document


def _termination_debit_note(*, actor, document: Document, subscription, fee):
    """The debit note ("nota obciążeniowa") of a termination by the customer's fault: the
    finance service issues it; its title names the termination and the tariff."""
    from finance.services import debit_note_issue

    with translation.override(DOCUMENT_LANGUAGE):
        title = _("Termination %(n)s by the customer's fault (%(t)s)") % {
            "n": document.number, "t": subscription.tariff.name}
    return debit_note_issue(actor=actor, customer=document.customer, amount=fee, title=title)


def document_regenerate(*, actor, document: Document) -> DocumentFile:
    """Render the document again from current customer data with its own template version;
    the previous file is kept as an earlier version."""
    pdf = _render(document, document.template_version)
    with transaction.atomic():
        Document.objects.select_for_update().get(pk=document.pk)
        stored = _store_file(document, pdf, actor)
        action_log(actor=actor, customer=document.customer, kind="document.regenerate",
                   message=N_("Document %(n)s regenerated (file version %(v)s)"),
                   params={"n": document.number, "v": stored.version})
    return stored


# --------------------------------------------------------------------------- approval

def document_approve(*, actor, document: Document) -> Document:
    """The padlock: approve an unapproved document. Locks the document row."""
    with transaction.atomic():
        document = Document.objects.select_for_update().select_related("customer") \
            .get(pk=document.pk)
        if document.status == Document.Status.APPROVED:
            raise ValidationError(_("Document %(n)s was already approved on %(at)s.")
                                  % {"n": document.number,
                                     "at": timezone.localtime(document.approved_at)
                                     .strftime("%Y-%m-%d %H:%M")})
        document.status = Document.Status.APPROVED
        document.approved_at = timezone.now()
        document.approved_by = staff_of(actor)
        document.save(update_fields=["status", "approved_at", "approved_by"])
        action_log(actor=actor, customer=document.customer, kind="document.approve",
                   message=N_("Document %(n)s approved"), params={"n": document.number})
    return document


@dataclass(frozen=True)
class ScanResult:
    ok: bool
    code: str
    message: str
    document: Document | None = None


def document_approve_by_code(*, actor, code: str) -> ScanResult:
    """"Zatwierdź dokument": one code typed by a barcode reader, or a document number
    typed by hand (``UM/2026/7``). Never raises; an unknown code or number, an approved
    document or another tenant's document changes nothing."""
    import re

    typed = (code or "").strip()[:60]
    code = typed.upper()
    match = re.fullmatch(r"ABN(\d{9})", code)
    # Another ISP's document is "unknown" word for word, as a missing one: the answer
    # must not tell which ids exist elsewhere.
    if match:
        document = Document.objects.filter(pk=int(match.group(1))).first()
    else:
        # A number matches whole, never as a prefix ("UM/2026/1" is not "UM/2026/12"); the
        # same number of two types (patterns set alike) is ambiguous: the barcode decides.
        found = list(Document.objects.filter(number__in={typed, code}).order_by("pk")[:2]) \
            if typed else []
        if len(found) > 1:
            return ScanResult(False, typed, _(
                "Number “%(n)s” belongs to several documents (%(t)s): scan the barcode "
                "instead.") % {"n": typed, "t": ", ".join(
                    str(DocumentType(d.document_type).label) for d in found)})
        document = found[0] if found else None
        code = typed
    if document is None:
        return ScanResult(False, code, (_("Unknown code “%(c)s”.") if match else
                                        _("Unknown code or number “%(c)s”.")) % {"c": code})
    try:
        document = document_approve(actor=actor, document=document)
    except ValidationError as e:
        return ScanResult(False, code, e.messages[0], document)
    return ScanResult(True, code, _("%(n)s approved (%(c)s).")
                      % {"n": document.number, "c": document.customer.display_name}, document)


# --------------------------------------------------------------------------- tariffs

def tariff_documents_regenerate(*, actor, tariff) -> int:
    """"Regenerowanie dokumentów" of a tariff: each unapproved document issued for one of
    its subscriptions is rendered again in a worker (``tasks.document_regenerate``) with
    current data and its own template version; the earlier file stays as a version.
    Approved documents are signed and never change. Queued on commit; returns how many."""
    from .tasks import document_regenerate as task

    ids = list(Document.objects.filter(subscription__tariff=tariff,
                                       status=Document.Status.UNAPPROVED)
               .order_by("pk").values_list("pk", flat=True))
    tenant_id = current_tenant().pk
    actor_id = getattr(staff_of(actor), "pk", None)
    with transaction.atomic():
        action_log(actor=actor, kind="document.tariff_regenerate",
                   message=N_("Documents of tariff %(t)s regenerated (%(n)s unapproved)"),
                   params={"t": tariff.name, "n": len(ids)})
        transaction.on_commit(lambda: [task.delay(tenant_id, pk, actor_id) for pk in ids])
    return len(ids)


# --------------------------------------------------------------------------- files

def document_download_record(*, document: Document, via: str, ip: str | None, user=None,
                             customer: Customer | None = None) -> DocumentDownload:
    """"Historia pobrań": one row per download, whoever downloaded it."""
    return DocumentDownload.objects.create(document=document, via=via, ip=ip, user=user,
                                           customer=customer)


def document_scan_add(*, actor, document: Document, uploaded_file) -> DocumentScan:
    """Attach the signed copy: a PDF, JPG or PNG recognised by content and opened whole
    (``core.uploads``), so that printing the document can always read it."""
    checked = upload_check(
        uploaded_file, accepted=("application/pdf", "image/jpeg", "image/png"),
        refusal=_("A signed copy must be a PDF, JPG or PNG file; this file's content is "
                  "none of them."))
    name = checked.name
    scan = DocumentScan(tenant_id=document.tenant_id, document=document,
                        content_type=checked.content_type, original_name=name,
                        uploaded_by=staff_of(actor))
    with transaction.atomic():
        scan.file.save(f"scan.{checked.extension}", uploaded_file, save=False)
        try:
            scan.save()
            action_log(actor=actor, customer=document.customer, kind="document.scan",
                       message=N_("Signed copy “%(f)s” added to %(n)s"),
                       params={"f": name, "n": document.number})
        except Exception:
            scan.file.delete(save=False)
            raise
    return scan


def document_scan_remove(*, actor, scan: DocumentScan) -> None:
    """Remove a signed copy; its file goes once the removal is committed."""
    document = scan.document
    with transaction.atomic():
        scan.delete()
        action_log(actor=actor, customer=document.customer, kind="document.scan_remove",
                   message=N_("Signed copy “%(f)s” removed from %(n)s"),
                   params={"f": scan.original_name, "n": document.number})
        transaction.on_commit(lambda: scan.file.delete(save=False))


def document_print_pdf(*, document: Document) -> bytes:
    """The current generated PDF followed by the signed copies.

    A signed copy that cannot be read (stored before uploads were opened, or its file
    lost) never stops the print: the others are printed and a last page names it.
    """
    current = document.files.order_by("-version").first()
    if current is None:
        raise ValidationError(_("The document has no file."))
    with current.file.open("rb") as handle:
        parts = [handle.read()]
    names = []
    for scan in document.scans.all():
        try:
            with scan.file.open("rb") as handle:
                parts.append(handle.read())
        except OSError as e:
            parts.append(e)  # merge_pdfs reports it with the unreadable ones
        names.append(scan.original_name)
    if len(parts) == 1:
        return parts[0]
    pdf, failures = rendering.merge_pdfs(parts, tolerant=True)
    if not failures:
        return pdf
    skipped = [{"name": names[index - 1], "error": error} for index, error in failures]
    notice = render_to_string("documents/print_skipped.html",
                              {"document": document, "skipped": skipped})
    notice_pdf = rendering.render_pdf(html_body=notice, css="", number=document.number,
                                      code=document.code)
    return rendering.merge_pdfs([pdf, notice_pdf])


# --------------------------------------------------------------------------- bulk

def document_batch_start(*, actor, group, document_type: str,
                         template: DocumentTemplate | None = None) -> DocumentBatch:
    """Generate a document for every customer of ``group`` in Celery; queues on commit."""
    from .tasks import document_batch_item

    if document_type not in DocumentType.values:
        raise ValidationError({"document_type": [_("Unknown document type.")]})
    if template is not None and template.document_type != document_type:
        raise ValidationError({"template": [_("The template is of another type.")]})
    customer_ids = list(Customer.objects.filter(group_memberships__group=group)
                        .order_by("number").values_list("pk", flat=True))
    if not customer_ids:
        raise ValidationError({"group": [_("The group has no customers.")]})
    tenant = current_tenant()
    with transaction.atomic():
        batch = DocumentBatch.objects.create(group=group, document_type=document_type,
                                             template=template, total=len(customer_ids),
                                             created_by=staff_of(actor))
        action_log(actor=actor, kind="document.batch",
                   message=N_("Bulk generation of %(t)s for group “%(g)s” started (%(n)s)"),
                   params={"t": DocumentType(document_type).label, "g": group.name,
                           "n": len(customer_ids)})
        transaction.on_commit(lambda: [
            document_batch_item.delay(tenant.pk, batch.pk, customer_id,
                                      getattr(actor, "pk", None))
            for customer_id in customer_ids])
    return batch


def document_batch_item_run(*, batch: DocumentBatch, customer: Customer, actor) -> None:
    """One customer of a batch; the last one to finish merges the PDFs."""
    try:
        document_issue(actor=actor, customer=customer, document_type=batch.document_type,
                       template=batch.template, batch=batch)
        failed = 0
    except Exception as e:
        failed = 1
        with transaction.atomic():
            locked = DocumentBatch.objects.select_for_update().get(pk=batch.pk)
            locked.errors = [*locked.errors, f"{customer.number}: {e}"][:100]
            locked.save(update_fields=["errors"])
    DocumentBatch.objects.filter(pk=batch.pk).update(done=F("done") + 1,
                                                     failed=F("failed") + failed)
    batch.refresh_from_db()
    if batch.done == batch.total:
        document_batch_finish(batch=batch)


def document_batch_finish(*, batch: DocumentBatch) -> DocumentBatch:
    """Merge the batch's documents into one PDF; runs once (the batch row is locked)."""
    with transaction.atomic():
        batch = DocumentBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != DocumentBatch.Status.RUNNING:
            return batch
        parts = []
        for document in (batch.documents.order_by("customer__number")
                         .prefetch_related("files")):
            newest = max(document.files.all(), key=lambda f: f.version)
            with newest.file.open("rb") as handle:
                parts.append(handle.read())
        if parts:
            batch.merged_file.save(f"batch-{batch.pk}.pdf",
                                   ContentFile(rendering.merge_pdfs(parts)), save=False)
        batch.status = DocumentBatch.Status.DONE if batch.failed < batch.total \
            else DocumentBatch.Status.FAILED
        batch.finished_at = timezone.now()
        batch.save(update_fields=["merged_file", "status", "finished_at"])
    return batch
