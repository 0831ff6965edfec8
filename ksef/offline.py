"""KSeF offline modes: which mode an invoice is issued in, its legal sending deadline,
the tenant's declared outages and its "Offline" certificate (KOD II).

The modes (VAT act as of 1 February 2026; CIRFMF ksef-docs "Tryby offline"):

- **offline24** (art. 106nda): the taxpayer's own choice, e.g. KSeF did not answer. Send
  by the end of the next business day after the issue date (P_1).
- **outage**: invoices issued while an outage the Ministry announced lasts. Its kind says
  the deadline: *unavailability* (art. 106nh) by the end of the next business day after
  it ends; *failure* (art. 106nf, "tryb awaryjny") within 7 business days after it ends;
  *total failure* (awaria całkowita) no obligation to send at all (no deadline, and the
  invoice carries no QR codes).
- A failure announced while an invoice waits to be sent moves its deadline to 7 business
  days after that failure ends (a later one again from its own end); a total failure
  announced meanwhile lifts the obligation.

Business days are Monday to Friday except Polish public holidays (``holidays``), counted
in Europe/Warsaw; a deadline is the end (23:59:59) of its day. A deadline that runs from
the end of an outage still going on is not known yet: ``None``, as for a total failure.

This module is what the pipeline (ksef.pipeline) calls: ``offline_mode_for``,
``offline_deadline`` and the link/QR helpers of ``ksef.qr`` re-exported here.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo

import holidays
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from core.actionlog import action_log
from core.events import publish
from core.tenancy import current_tenant, current_tenant_or_none

from .models import KsefOutage, OfflineCertificate, OutageKind
from .qr import (  # noqa: F401  (the pipeline's entry points)
    certificate_serial,
    kod_i_url,
    kod_ii_url,
    kod_ii_verify,
    qr_svg,
)

WARSAW = ZoneInfo("Europe/Warsaw")
OFFLINE24 = "offline24"
OUTAGE = "outage"
MODES = (OFFLINE24, OUTAGE)
FAILURE_BUSINESS_DAYS = 7
# Outages may be recorded for the past and announced ahead; beyond these the date is a typo.
YEAR_MIN, YEAR_MAX = 2026, 2100
OUTAGE_EVENT = "ksef.outage_changed"
NOTE_MAX = KsefOutage._meta.get_field("note").max_length


# --------------------------------------------------------------------------- business days

@cache
def _public_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("PL", years=[year]))


def is_business_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _public_holidays(day.year)


def business_days_after(day: dt.date, count: int) -> dt.date:
    """The ``count``-th business day after ``day`` (``day`` itself is not counted)."""
    while count > 0:
        day += dt.timedelta(days=1)
        if is_business_day(day):
            count -= 1
    return day


def local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(WARSAW).date() if timezone.is_aware(moment) else moment.date()


def end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59), WARSAW)


# --------------------------------------------------------------------------- modes and deadlines

def _outages(tenant):
    return KsefOutage.all_tenants.filter(tenant=tenant)


def outage_covering(tenant, at: dt.datetime) -> KsefOutage | None:
    """The tenant's outage going on at ``at`` (started, not yet ended), if any."""
    return (_outages(tenant).filter(starts_at__lte=at)
            .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=at))
            .order_by("-starts_at").first())


def offline_mode_for(tenant, *, at: dt.datetime | None = None) -> str | None:
    """``"outage"`` while an outage the tenant declared covers ``at`` (now by default),
    else None: the pipeline itself picks ``"offline24"`` when KSeF cannot be reached."""
    return OUTAGE if outage_covering(tenant, at or timezone.now()) else None


def _deadline_after_outage(outage: KsefOutage) -> dt.datetime | None:
    if outage.kind == OutageKind.TOTAL or outage.ends_at is None:
        return None
    days = FAILURE_BUSINESS_DAYS if outage.kind == OutageKind.FAILURE else 1
    return end_of_day(business_days_after(local_date(outage.ends_at), days))


def offline_deadline(mode: str, issued_at: dt.datetime, *, outage: KsefOutage | None = None,
                     tenant=None, failures: list | None = None) -> dt.datetime | None:
    """The end of the last day to send an invoice issued offline at ``issued_at``.

    ``outage``: the outage it was issued in (mode "outage"); looked up among the tenant's
    (``tenant``, else the active one) when not given. Failures announced within the
    sending window move the deadline (see the module's docstring). None: no deadline
    (total failure) or not known yet (an outage still going on). ``failures``: the
    tenant's ``failures_list()`` when many deadlines are computed at once (no query).
    """
    if mode not in MODES:
        raise ValueError(f"unknown offline mode {mode!r}")
    tenant = tenant or (outage.tenant_id if outage else current_tenant_or_none())
    if mode == OUTAGE and outage is None and tenant is not None:
        outage = outage_covering(tenant, issued_at)
    if mode == OUTAGE and outage is not None:
        deadline = _deadline_after_outage(outage)
    else:  # offline24, or an outage that is not (or no longer) recorded
        deadline = end_of_day(business_days_after(local_date(issued_at), 1))
    if deadline is None or tenant is None:
        return deadline
    if failures is None:
        failures = failures_list(tenant, after=issued_at)
    return _moved_by_later_failures(failures, issued_at, deadline,
                                    exclude=outage.pk if outage else None)


def failures_list(tenant, *, after: dt.datetime | None = None) -> list[KsefOutage]:
    """The tenant's failures and total failures (the outages that move deadlines), in
    order of start."""
    rows = _outages(tenant).exclude(kind=OutageKind.UNAVAILABILITY).order_by("starts_at")
    return list(rows.filter(starts_at__gt=after) if after else rows)


def _moved_by_later_failures(failures, issued_at, deadline, *, exclude) -> dt.datetime | None:
    """Failures announced after the invoice was issued and before its deadline passed
    move the deadline to 7 business days after each one's end; a total one lifts it."""
    for outage in failures:
        if outage.pk == exclude or outage.starts_at <= issued_at:
            continue
        if outage.starts_at > deadline:
            break
        moved = _deadline_after_outage(outage)
        if moved is None:
            return None
        deadline = max(deadline, moved)
    return deadline


# --------------------------------------------------------------------------- outages

def _lock_tenant_outages(tenant) -> None:
    """Two declarations at once must not both find no overlap: serialise them per
    tenant (a transaction-scoped advisory lock; no row of another app is written)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('ksef.outage'), %s)",
                           [tenant.pk])


def _check_moment(value: dt.datetime, field: str) -> None:
    if not (YEAR_MIN <= value.year <= YEAR_MAX):
        raise ValidationError({field: [_("Give a moment between %(low)s and %(high)s.")
                                       % {"low": YEAR_MIN, "high": YEAR_MAX}]})


def _check_span(tenant, *, starts_at, ends_at, exclude=None) -> None:
    _check_moment(starts_at, "starts_at")
    if ends_at is not None:
        _check_moment(ends_at, "ends_at")
        if ends_at <= starts_at:
            raise ValidationError({"ends_at": [_("The end must be after the start.")]})
    others = _outages(tenant).exclude(pk=exclude)
    overlapping = others.filter(Q(ends_at__isnull=True) | Q(ends_at__gt=starts_at))
    if ends_at is not None:
        overlapping = overlapping.filter(starts_at__lt=ends_at)
    clash = overlapping.order_by("starts_at").first()
    if clash is not None:
        raise ValidationError({"starts_at": [
            _("This period overlaps the outage declared from %(start)s: end that one or "
              "choose another period.")
            % {"start": timezone.localtime(clash.starts_at).strftime("%Y-%m-%d %H:%M")}]})


def _outage_published(outage: KsefOutage) -> None:
    publish(OUTAGE_EVENT, outage_id=outage.pk, kind=outage.kind,
            starts_at=outage.starts_at.isoformat(),
            ends_at=outage.ends_at.isoformat() if outage.ends_at else None)


def outage_declare(*, actor, kind: str, starts_at: dt.datetime,
                   ends_at: dt.datetime | None = None, note: str = "") -> KsefOutage:
    """Record an outage the Ministry announced. Locks the tenant's outages (advisory
    lock); publishes ``ksef.outage_changed`` on commit (the pipeline recomputes the
    deadlines of the invoices issued in it)."""
    tenant = current_tenant()
    if kind not in OutageKind.values:
        raise ValidationError({"kind": [_("Choose the kind of outage.")]})
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": [_("At most %(n)s characters.") % {"n": NOTE_MAX}]})
    with transaction.atomic():
        _lock_tenant_outages(tenant)
        _check_span(tenant, starts_at=starts_at, ends_at=ends_at)
        outage = KsefOutage.objects.create(kind=kind, starts_at=starts_at, ends_at=ends_at,
                                           note=note, declared_by=actor)
        action_log(actor=actor, kind="ksefoutage.declare",
                   message=N_("KSeF outage declared: %(kind)s from %(start)s"),
                   params={"kind": OutageKind(kind).label, "start": starts_at},
                   more=[note] if note else None)
        _outage_published(outage)
    return outage


def outage_end(*, actor, outage: KsefOutage, ends_at: dt.datetime) -> KsefOutage:
    """Set (or correct) the end of ``outage``: the deadlines of the invoices issued in it
    start to run. Same lock and event as ``outage_declare``."""
    tenant = current_tenant()
    with transaction.atomic():
        _lock_tenant_outages(tenant)
        outage = KsefOutage.objects.select_for_update().get(pk=outage.pk)
        _check_span(tenant, starts_at=outage.starts_at, ends_at=ends_at, exclude=outage.pk)
        before = outage.ends_at
        outage.ends_at = ends_at
        outage.save(update_fields=["ends_at"])
        action_log(actor=actor, kind="ksefoutage.end",
                   message=N_("KSeF outage from %(start)s ended at %(end)s"),
                   params={"start": outage.starts_at, "end": ends_at},
                   changes={"ends_at": [before.isoformat() if before else None,
                                        ends_at.isoformat()]})
        _outage_published(outage)
    return outage


def outage_list():
    """The active tenant's outages, newest first (a queryset to page)."""
    return KsefOutage.objects.select_related("declared_by").order_by("-starts_at", "-id")


def outage_get(pk) -> KsefOutage:
    """One of the active tenant's outages; another tenant's is DoesNotExist (404)."""
    return KsefOutage.objects.select_related("declared_by").get(pk=pk)


def outage_submissions(outage: KsefOutage):
    """The documents issued offline while ``outage`` lasted (queryset of the pipeline's
    submissions with their documents, oldest first, to page). The issue moment is the
    document's creation, as the pipeline counts it."""
    from .models import KsefSubmission

    rows = (KsefSubmission.objects.exclude(offline_mode="")
            .filter(document__created_at__gte=outage.starts_at)
            .select_related("document").order_by("document__created_at", "id"))
    if outage.ends_at is not None:
        rows = rows.filter(document__created_at__lt=outage.ends_at)
    return rows


def submission_deadline(submission, *, outage: KsefOutage | None = None,
                        failures: list | None = None) -> dt.datetime | None:
    """The deadline of an offline submission as the rules give it today (the stored one
    may predate the end of its outage)."""
    mode = submission.offline_mode if submission.offline_mode in MODES else OUTAGE
    return offline_deadline(mode, submission.document.created_at,
                            outage=outage if mode == OUTAGE else None,
                            tenant=current_tenant(), failures=failures)


# --------------------------------------------------------------------------- certificate

def _load_pem_certificate(pem: bytes) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError:
        try:
            return x509.load_der_x509_certificate(pem)
        except ValueError:
            raise ValidationError({"certificate": [
                _("This is not an X.509 certificate (PEM or DER).")]}) from None


def _load_key(data: bytes, password: str):
    secret = password.encode() if password else None
    try:
        return serialization.load_pem_private_key(data, password=secret)
    except (ValueError, TypeError):
        try:
            return serialization.load_der_private_key(data, password=secret)
        except (ValueError, TypeError):
            raise ValidationError({"private_key": [
                _("The private key cannot be read: check the file and its password.")]}) \
                from None


def _check_key(key) -> None:
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < 2048:
            raise ValidationError({"private_key": [
                _("An RSA key of KSeF has at least 2048 bits.")]})
    elif not (isinstance(key, ec.EllipticCurvePrivateKey)
              and isinstance(key.curve, ec.SECP256R1)):
        raise ValidationError({"private_key": [
            _("KSeF signs with RSA or EC P-256 keys; this key is neither.")]})


def certificate_check(*, certificate: bytes, private_key: bytes, password: str = "",
                      now: dt.datetime | None = None):
    """The certificate and key read and checked: they match, the certificate is valid
    now. Returns ``(certificate, key)``; raises ValidationError keyed by field."""
    cert = _load_pem_certificate(certificate)
    key = _load_key(private_key, password)
    _check_key(key)
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    if public != cert.public_key().public_bytes(serialization.Encoding.DER,
                                                serialization.PublicFormat.SubjectPublicKeyInfo):
        raise ValidationError({"private_key": [
            _("The private key does not belong to this certificate.")]})
    now = now or timezone.now()
    if cert.not_valid_after_utc <= now:
        raise ValidationError({"certificate": [
            _("This certificate expired on %(date)s.")
            % {"date": cert.not_valid_after_utc.date().isoformat()}]})
    if cert.not_valid_before_utc > now:
        raise ValidationError({"certificate": [
            _("This certificate is valid only from %(date)s.")
            % {"date": cert.not_valid_before_utc.date().isoformat()}]})
    return cert, key


def offline_certificate_upload(*, actor, certificate: bytes, private_key: bytes,
                               password: str = "") -> OfflineCertificate:
    """Store the tenant's "Offline" certificate with its key (decrypted, re-encrypted at
    rest by core.crypto), replacing the one before. Logged without any secret."""
    cert, key = certificate_check(certificate=certificate, private_key=private_key,
                                  password=password)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    fields = {
        "certificate_pem": cert.public_bytes(serialization.Encoding.PEM).decode(),
        "private_key_pem": key_pem, "serial": certificate_serial(cert),
        "subject": cert.subject.rfc4514_string()[:500],
        "valid_from": cert.not_valid_before_utc, "valid_to": cert.not_valid_after_utc,
        "uploaded_by": actor,
    }
    with transaction.atomic():
        stored = OfflineCertificate.objects.select_for_update().first()
        before = stored.serial if stored else None
        if stored is None:
            stored = OfflineCertificate.objects.create(**fields)
        else:
            for name, value in fields.items():
                setattr(stored, name, value)
            stored.save()
        action_log(actor=actor, kind="offlinecertificate.upload",
                   message=N_("KSeF offline certificate %(serial)s uploaded (valid to %(to)s)"),
                   params={"serial": stored.serial, "to": stored.valid_to},
                   changes={"serial": [before, stored.serial]})
    return stored


def offline_certificate_delete(*, actor, certificate: OfflineCertificate) -> None:
    with transaction.atomic():
        serial = certificate.serial
        certificate.delete()
        action_log(actor=actor, kind="offlinecertificate.delete",
                   message=N_("KSeF offline certificate %(serial)s removed"),
                   params={"serial": serial})


def offline_certificate_get(tenant=None, *, at: dt.datetime | None = None):
    """The tenant's certificate valid at ``at`` (now), or None: KOD II is printed only
    with a certificate valid when the invoice is issued."""
    tenant = tenant or current_tenant()
    at = at or timezone.now()
    return (OfflineCertificate.all_tenants
            .filter(tenant=tenant, valid_from__lte=at, valid_to__gt=at).first())


def certificate_private_key(certificate: OfflineCertificate):
    return serialization.load_pem_private_key(certificate.private_key_pem.encode(),
                                              password=None)


# --------------------------------------------------------------------------- print marks

CAPTION_OFFLINE = "OFFLINE"
CAPTION_CERTIFICATE = "CERTYFIKAT"


def _submission_of(document):
    from .models import KsefSubmission

    return KsefSubmission.objects.filter(document_id=document.pk).first()


def _profile():
    from .models import KsefProfile

    return KsefProfile.objects.first()


def _document_hash(document, submission) -> str | None:
    """The Base64URL SHA-256 of the XML file: the one sent when it was (the pipeline keeps
    its hash), else the document's XML as it will be sent (the same bytes every time).
    None when no XML can be made (seller data missing): such a document cannot enter
    KSeF, and its PDF must still print (the pipeline shows why it is stuck)."""
    from .qr import hash_from_base64, invoice_hash

    if submission.invoice_hash:
        return hash_from_base64(submission.invoice_hash)
    from finance.ksef_ledger import document_ksef_get, document_ksef_xml

    try:
        return invoice_hash(document_ksef_xml(document_ksef_get(document.pk)))
    except ValidationError:
        return None


def _issued_in_total_failure(submission) -> bool:
    if submission.offline_mode != OUTAGE:
        return False
    outage = outage_covering(current_tenant(), submission.document.created_at)
    return outage is not None and outage.kind == OutageKind.TOTAL


def print_codes(document) -> list[dict]:
    """The QR codes to print on ``document``: ``[{"url", "caption", "kind"}]``.

    KOD I on every invoice KSeF has or will have: its KSeF number under it once known,
    "OFFLINE" before; KOD II ("CERTYFIKAT") on one issued offline while the tenant has a
    valid offline certificate. None on a document outside the pipeline, on a rejected
    online one, or on one issued during a total failure (the rules want no codes)."""
    submission = _submission_of(document)
    if submission is None or _issued_in_total_failure(submission):
        return []
    if submission.state == "rejected" and not submission.offline_mode:
        return []
    digest = _document_hash(document, submission)
    profile = _profile()
    nip = _seller_nip(document, profile)
    if digest is None or len("".join(c for c in nip if c.isdigit())) != 10:
        return []
    environment = profile.environment if profile else "test"
    codes = [{"kind": "KOD I",
              "url": kod_i_url(nip=nip, issue_date=document.issue_date,
                               environment=environment, hash_b64url=digest),
              "caption": submission.ksef_number or CAPTION_OFFLINE}]
    if submission.offline_mode:
        certificate = offline_certificate_get(at=document.created_at)
        if certificate is not None:
            codes.append({"kind": "KOD II", "caption": CAPTION_CERTIFICATE,
                          "url": kod_ii_url(nip=nip, private_key=certificate_private_key(
                              certificate), serial=certificate.serial,
                              environment=environment, hash_b64url=digest,
                              context_id=profile.nip if profile else None)})
    return codes


def _seller_nip(document, profile) -> str:
    """The seller's NIP as the invoice carries it (Podmiot1), the profile's otherwise."""
    from finance.seller import document_parties

    seller, _buyer = document_parties(document)
    return seller.nip or (profile.nip if profile else "")


def print_mark(document) -> str:
    """The KOD I / KOD II block on the PDF of an invoice or correction (HTML, escaped
    here: finance puts it in the page as it is)."""
    from django.utils.html import format_html, format_html_join

    from .qr import qr_data_uri

    if document.kind not in ("invoice", "correction"):
        return ""
    codes = print_codes(document)
    if not codes:
        return ""
    figures = format_html_join("", (
        '<figure class="ksef-code" data-kind="{}"><img src="{}" alt="{}">'
        '<figcaption>{}</figcaption><div class="ksef-link">{}</div></figure>'),
        ((c["kind"], qr_data_uri(c["url"]), c["kind"], c["caption"], c["url"]) for c in codes))
    return format_html('<div class="ksef-codes">{}</div>', figures)
