"""The KSeF send pipeline: every write of the pipeline part.

* **Profile** (``profile_save``, ``profile_connection_test``): the tenant's NIP, the
  environment and the KSeF token (encrypted at rest, never shown back).
* **Queueing** (``submissions_queue``): after "invoice.issued" and
  "billing.invoices_issued" (``core.events``) each invoice or correction of a tenant whose
  profile is enabled gets a ``KsefSubmission`` in ``queued``; a Celery task is queued after
  commit. One submission per document is a database constraint: the same event delivered
  twice queues nothing more.
* **Sending** (``submissions_send``): claims due rows with ``SKIP LOCKED`` (two workers never
  take the same invoice), authenticates, opens an online session (a batch session above
  ``BATCH_THRESHOLD`` invoices), and for each invoice *first records* its hash and the
  session reference (committed), then sends it. A worker killed after that leaves the row
  in ``sending`` with an expired lease (``next_try_at``): the next run asks KSeF for that
  session's invoices and matches by hash instead of sending the invoice again.
* **Polling** (``submissions_poll``): statuses of sent invoices; accepted → the KSeF number,
  the acquisition time and the UPO (validated against upo-v4-3.xsd); rejected → the codes
  and details, shown on the invoice and the queue page until someone resends it.
* KSeF unreachable (``KsefUnavailable``) at authentication or session opening: the invoices
  are marked issued offline (``offline24``, or the declared outage's mode) with their legal
  deadline (``ksef.offline``) and retried with backoff; 429 waits ``Retry-After``.

Network calls never run inside a transaction: each state change is its own short commit.
"""

import logging
import time
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from stdnum.pl import nip as stdnum_nip

from core.actionlog import action_log, diff_fields
from core.sql import column_any
from core.tenancy import current_tenant

from .models import KsefProfile, KsefSubmission

log = logging.getLogger(__name__)

State = KsefSubmission.State

# Above this many invoices in one run the pipeline uses a batch session (zip parts).
BATCH_THRESHOLD = 500
# Invoices claimed by one run of the task (above BATCH_THRESHOLD: a batch session is
# possible only when one claim can hold more than the threshold).
CLAIM_SIZE = 2000
# How long a worker holds a claimed row: past it a row still "sending" is resumed.
LEASE = timedelta(minutes=5)
# Backoff after KSeF did not answer: attempt n waits BACKOFF * 2**(n-1), at most MAX_BACKOFF.
BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)
# A Retry-After up to this long is waited in place; longer: the rows go back to the queue.
WAIT_IN_PLACE_S = 5.0
# Polls of the statuses within one run before the rest is left to the next run.
POLLS = 20
POLL_INTERVAL_S = 0.2
# UPOs downloaded at a time after a session's statuses.
UPO_THREADS = 8

PROFILE_LOGGED = ("nip", "environment", "custom_url", "enabled", "send_after_billing",
                  "send_on_issue")


# --------------------------------------------------------------------------- profile

def profile_get() -> KsefProfile | None:
    return KsefProfile.objects.first()


def _profile_check(data: dict) -> None:
    problems = {}
    if not stdnum_nip.is_valid(data.get("nip") or ""):
        problems["nip"] = _("Enter a valid NIP (10 digits with a correct check digit).")
    if data.get("environment") == KsefProfile.Environment.CUSTOM and not data.get("custom_url"):
        problems["custom_url"] = _("Enter the address of the KSeF API.")
    if problems:
        raise ValidationError(problems)


def profile_save(*, actor, nip: str, environment: str, custom_url: str = "",
                 token: str = "", enabled: bool = False, send_after_billing: bool = True,
                 send_on_issue: bool = True) -> KsefProfile:
    """Create or change the tenant's profile; an empty ``token`` keeps the stored one.
    Logged with the changed fields (never the token's value, only that it changed).
    Locks the profile row."""
    nip = stdnum_nip.compact(nip or "")
    data = {"nip": nip, "environment": environment, "custom_url": custom_url,
            "enabled": enabled, "send_after_billing": send_after_billing,
            "send_on_issue": send_on_issue}
    _profile_check(data)
    with transaction.atomic():
        profile = KsefProfile.objects.select_for_update().first()
        created = profile is None
        before = {} if created else {f: getattr(profile, f) for f in PROFILE_LOGGED}
        profile = profile or KsefProfile()
        for field, value in data.items():
            setattr(profile, field, value)
        if token:
            profile.token = token.strip()
        if enabled and not profile.token:
            raise ValidationError({"token": _("Enter the KSeF token before enabling sending.")})
        profile.save()
        changes = diff_fields(profile, before, PROFILE_LOGGED)
        if token:
            changes["token"] = ["", "***"]
        action_log(actor=actor, kind="ksefprofile.create" if created else "ksefprofile.update",
                   message=N_("KSeF profile set up for NIP %(nip)s.") if created
                   else N_("KSeF profile of NIP %(nip)s changed."),
                   params={"nip": nip}, changes=changes)
    return profile


def client_for(profile: KsefProfile):
    """A KSeF API client for the profile's environment (a seam for tests and the bench)."""
    from .client import KsefClient

    return KsefClient(profile.base_url)


def profile_connection_test(*, actor, profile: KsefProfile) -> None:
    """Authenticate with the stored token: raises ``ValidationError`` with KSeF's answer
    when it fails. Logged either way (the administrator sees who tried and the outcome)."""
    from .client import KsefError

    try:
        client_for(profile).authenticate(nip=profile.nip, ksef_token=profile.token)
    except KsefError as exc:
        action_log(actor=actor, kind="ksefprofile.test",
                   message=N_("KSeF connection test failed: %(error)s"),
                   params={"error": _error_text(exc)})
        raise ValidationError(_("KSeF refused or did not answer: %(error)s")
                              % {"error": _error_text(exc)}) from None
    action_log(actor=actor, kind="ksefprofile.test",
               message=N_("KSeF connection test succeeded."))


def _error_text(exc) -> str:
    return str(exc)[:2000]


# --------------------------------------------------------------------------- queueing

def _offline_mode_now(tenant) -> str:
    try:
        from .offline import offline_mode_for
    except ImportError:  # the offline part not installed yet
        return ""
    return offline_mode_for(tenant) or ""


def _offline_deadline(mode: str, issued_at: datetime) -> datetime | None:
    if not mode:
        return None
    try:
        from .offline import offline_deadline
    except ImportError:
        return None
    return offline_deadline(mode, issued_at)


def submissions_queue(*, document_ids, trigger: str) -> int:
    """Queue the tenant's invoices and corrections among ``document_ids`` for KSeF when
    its profile is enabled for ``trigger`` ("issue" or "billing"); returns how many were
    queued. A document already queued is left as it is (the constraint, not a check).
    Queues the send task on commit."""
    from finance.models import FinanceDocument, Kind

    profile = profile_get()
    if profile is None or not profile.enabled:
        return 0
    if (trigger == "billing" and not profile.send_after_billing) or \
            (trigger == "issue" and not profile.send_on_issue):
        return 0
    tenant = current_tenant()
    mode = _offline_mode_now(tenant)
    documents = (FinanceDocument.objects
                 .filter(pk__in=list(document_ids), kind__in=(Kind.INVOICE, Kind.CORRECTION))
                 .values_list("pk", "created_at"))
    rows = [KsefSubmission(tenant=tenant, document_id=pk, offline_mode=mode,
                           offline_deadline=_offline_deadline(mode, created_at))
            for pk, created_at in documents]
    created = KsefSubmission.objects.bulk_create(rows, ignore_conflicts=True)
    if rows:
        send_later(tenant.pk)
    return len(created)


def send_later(tenant_id: int, *, countdown: float | None = None) -> None:
    """Queue the send task for the tenant after the current transaction commits."""
    from . import tasks

    def queue():
        if countdown:
            tasks.ksef_send.apply_async((tenant_id,), countdown=countdown)
        else:
            tasks.ksef_send.delay(tenant_id)

    transaction.on_commit(queue)


def on_invoice_issued(*, invoice_id, customer_id, **_data) -> None:
    submissions_queue(document_ids=[invoice_id], trigger="issue")


def on_correction_issued(*, correction_id, invoice_id, customer_id, **_data) -> None:
    submissions_queue(document_ids=[correction_id], trigger="issue")


def on_invoices_issued(*, run_id, invoice_ids, **_data) -> None:
    submissions_queue(document_ids=invoice_ids, trigger="billing")


def submission_resend(*, actor, submission: KsefSubmission) -> KsefSubmission:
    """Put a rejected submission back in the queue (after the invoice's data or the
    settings were corrected): the XML is built again when it is sent. Locks the row;
    only a rejected one can be resent (an accepted invoice is in KSeF for good)."""
    with transaction.atomic():
        submission = KsefSubmission.objects.select_for_update().get(pk=submission.pk)
        if submission.state != State.REJECTED:
            raise ValidationError(_("Only a rejected invoice can be sent again."))
        before = {"state": submission.state}
        submission.state = State.QUEUED
        submission.error_code = None
        submission.error_details = []
        submission.last_error = ""
        submission.next_try_at = None
        submission.session_reference = submission.invoice_reference = ""
        submission.invoice_hash = ""
        submission.save()
        action_log(actor=actor, kind="ksefsubmission.resend",
                   customer=submission.document.customer,
                   message=N_("Invoice %(number)s queued for KSeF again."),
                   params={"number": submission.document.number},
                   changes={"state": [before["state"], submission.state]})
        send_later(submission.tenant_id)
    return submission


def submissions_resend(*, actor, ids) -> int:
    """Resend each rejected submission among ``ids`` (others are skipped); returns the
    count resent."""
    count = 0
    for submission in KsefSubmission.objects.filter(pk__in=ids, state=State.REJECTED) \
            .select_related("document__customer").order_by("pk"):
        try:
            submission_resend(actor=actor, submission=submission)
        except ValidationError:
            continue  # changed state meanwhile
        count += 1
    return count


# --------------------------------------------------------------------------- references

def ksef_references(document_ids) -> dict[int, str]:
    """For JPK and corrections: the KSeF number of an accepted document, "OFF" for one
    issued offline and not yet accepted, "BFK" for one that never entered the pipeline
    (issued outside KSeF). Documents on their way without offline mode are left out."""
    ids = list(document_ids)
    found = dict.fromkeys(ids, "BFK")
    # ``= ANY(array)``: a JPK month asks for 100,000 ids at once (core.sql)
    for doc_id, state, number, mode in KsefSubmission.objects.filter(
            column_any(KsefSubmission, "document", ids, cast="bigint")).values_list(
                "document_id", "state", "ksef_number", "offline_mode"):
        if state == State.ACCEPTED:
            found[doc_id] = number
        elif mode:
            found[doc_id] = "OFF"
        else:
            del found[doc_id]
    return found


# --------------------------------------------------------------------------- sending

def _due() -> Q:
    now = timezone.now()
    return (Q(state=State.QUEUED) & (Q(next_try_at__isnull=True) | Q(next_try_at__lte=now))) \
        | (Q(state=State.SENDING) & Q(next_try_at__lte=now))


def _claim(limit: int) -> list[KsefSubmission]:
    """Take up to ``limit`` due submissions: queued ones, and ones left in ``sending`` by
    a worker that died (their lease expired). ``SKIP LOCKED``: a row another worker is
    claiming is skipped, not waited for. Each claimed row is ``sending`` with a new lease
    when this returns (committed)."""
    with transaction.atomic():
        rows = list(KsefSubmission.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(_due()).select_related("document").order_by("pk")[:limit])
        lease = timezone.now() + LEASE
        for row in rows:
            row.state = State.SENDING
            row.next_try_at = lease
            row.attempts += 1
        KsefSubmission.objects.bulk_update(rows, ["state", "next_try_at", "attempts"])
    return rows


def _save(submission: KsefSubmission, *fields: str) -> None:
    submission.save(update_fields=[*fields, "updated_at"])


def _backoff(attempts: int) -> timedelta:
    return min(BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _requeue(rows, *, error: str, wait: timedelta, offline: bool = False) -> None:
    """Back to the queue: KSeF unreachable (then the invoices are issued offline, with
    their deadline) or rate-limited."""
    at = timezone.now() + wait
    for row in rows:
        row.state = State.QUEUED
        row.next_try_at = at
        row.last_error = error
        if offline and not row.offline_mode:
            row.offline_mode = "offline24"
            row.offline_deadline = _offline_deadline("offline24", row.document.created_at)
        # The hash and session stay: the invoice may have reached KSeF before the answer
        # was lost, and the next round asks the session for it by hash (_resume).
        _save(row, "state", "next_try_at", "last_error", "offline_mode", "offline_deadline")


def _reject_locally(row: KsefSubmission, problems: list[str]) -> None:
    """The XML could not be built (the data are incomplete): rejected before KSeF."""
    row.state = State.REJECTED
    row.error_code = None
    row.error_details = problems
    row.last_error = "; ".join(problems)[:2000]
    row.next_try_at = None
    _save(row, "state", "error_code", "error_details", "last_error", "next_try_at")


def _documents(rows: list[KsefSubmission]) -> dict:
    """The rows' documents with what their XML needs, in one query per relation instead
    of ``document_ksef_get``'s five per document (the same select/prefetch shape: finance
    has no list selector for it yet)."""
    from finance.ksef_ledger import document_ksef_get
    from finance.models import FinanceDocument

    if len(rows) == 1:
        try:
            return {rows[0].document_id: document_ksef_get(rows[0].document_id)}
        except FinanceDocument.DoesNotExist:
            return {}
    documents = (FinanceDocument.objects.filter(pk__in=[r.document_id for r in rows])
                 .select_related("customer", "corrects", "tenant")
                 .prefetch_related("lines", "customer__addresses", "corrects__lines",
                                   "corrects__corrections__lines"))
    return {d.pk: d for d in documents}


def _xml(row: KsefSubmission, documents: dict | None = None) -> bytes | None:
    from finance.ksef_ledger import document_ksef_xml

    documents = documents if documents is not None else _documents([row])
    try:
        return document_ksef_xml(documents[row.document_id])
    except ValidationError as exc:
        _reject_locally(row, [str(m) for m in exc.messages])
        return None


def _resume(client, rows: list[KsefSubmission]) -> list[KsefSubmission]:
    """Rows a dead worker left mid-session: ask KSeF for the session's invoices and match
    by hash. Found: recorded as sent (never sent twice). Not found: returned, to be sent."""
    fresh = []
    by_session: dict[str, list[KsefSubmission]] = {}
    for row in rows:
        if row.session_reference and row.invoice_hash and not row.invoice_reference:
            by_session.setdefault(row.session_reference, []).append(row)
        elif row.invoice_reference:
            row.state = State.SENT  # it was sent; only the status is missing
            _save(row, "state")
        else:
            fresh.append(row)
    for reference, waiting in by_session.items():
        known = {s.invoice_hash: s for s in client.session_invoices(reference)}
        for row in waiting:
            status = known.get(row.invoice_hash)
            if status is None:
                row.session_reference = row.invoice_hash = ""
                fresh.append(row)
                continue
            row.invoice_reference = status.reference_number
            row.state = State.SENT
            _save(row, "invoice_reference", "state")
    return fresh


class _Throttle:
    """At most ``per_second`` sends a second (KSeF's ``invoiceSend`` limit)."""

    def __init__(self, per_second: float | None):
        self.interval = 1.0 / per_second if per_second else 0.0
        self.last = 0.0

    def wait(self) -> None:
        if self.interval:
            pause = self.last + self.interval - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            self.last = time.monotonic()


def _per_second(client) -> float | None:
    try:
        limits = client.rate_limits()
        return float(limits["invoiceSend"]["perSecond"])
    except Exception:  # noqa: BLE001 - the limits are advice; 429 still guards
        return None


def _send_one(client, session, row: KsefSubmission, xml: bytes, throttle: _Throttle) -> None:
    from .client import KsefRateLimited, invoice_hash

    row.invoice_hash = invoice_hash(xml)
    row.session_reference = session.reference_number
    _save(row, "invoice_hash", "session_reference")  # committed before the XML leaves
    for attempt in range(3):
        throttle.wait()
        try:
            sent = client.invoice_send(session, xml, offline_mode=bool(row.offline_mode))
            break
        except KsefRateLimited as exc:
            if attempt == 2 or (exc.retry_after or 0) > WAIT_IN_PLACE_S:
                raise
            time.sleep(exc.retry_after or 1.0)
    row.invoice_reference = sent.reference_number
    row.state = State.SENT
    row.next_try_at = None
    row.last_error = ""
    _save(row, "invoice_reference", "state", "next_try_at", "last_error")


def _send_online(client, rows: list[KsefSubmission]) -> None:
    from .client import KsefRateLimited, KsefUnavailable

    session = client.online_session_open()
    throttle = _Throttle(_per_second(client))
    documents = _documents(rows)
    try:
        for index, row in enumerate(rows):
            xml = _xml(row, documents)
            if xml is None:
                continue
            try:
                _send_one(client, session, row, xml, throttle)
            except KsefRateLimited as exc:
                _requeue(rows[index:], error=_error_text(exc),
                         wait=timedelta(seconds=exc.retry_after or 60))
                return
            except KsefUnavailable as exc:
                _requeue(rows[index:], error=_error_text(exc), wait=_backoff(row.attempts),
                         offline=True)
                return
    finally:
        try:
            client.session_close(session)
        except Exception:  # noqa: BLE001 - KSeF closes an idle session itself
            log.warning("KSeF session %s not closed", session.reference_number)


def _send_batch(client, rows: list[KsefSubmission]) -> None:
    """A large run in one batch session (zip parts). The hashes are recorded first; the
    session reference only exists when the upload is done."""
    from .client import invoice_hash

    ready = []
    documents = _documents(rows)
    for row in rows:
        xml = _xml(row, documents)
        if xml is not None:
            row.invoice_hash = invoice_hash(xml)
            ready.append((row, xml))
    KsefSubmission.objects.bulk_update([r for r, _x in ready], ["invoice_hash"])
    reference = client.batch_send([(f"{r.document_id}.xml", x) for r, x in ready],
                                  offline_mode=any(r.offline_mode for r, _x in ready))
    for row, _xml_bytes in ready:
        row.session_reference = reference
        row.state = State.SENT
        row.next_try_at = None
    # The invoices' references come with the session's statuses (matched by hash).
    KsefSubmission.objects.bulk_update([r for r, _x in ready],
                                       ["session_reference", "state", "next_try_at"])


def submissions_send(*, limit: int = CLAIM_SIZE, client=None) -> dict:
    """One round for the active tenant: claim, authenticate, resume, send, close, poll.
    Returns counts and ``retry_in`` (seconds until the next round is worth it, or None)."""
    from .client import KsefError, KsefRateLimited, KsefUnavailable

    profile = profile_get()
    if profile is None or not profile.enabled:
        return {"claimed": 0, "retry_in": None}
    rows = _claim(limit)
    pending_poll = KsefSubmission.objects.filter(state=State.SENT).exists()
    if not rows and not pending_poll:
        return {"claimed": 0, "retry_in": None}
    client = client or client_for(profile)
    try:
        client.authenticate(nip=profile.nip, ksef_token=profile.token)
        fresh = _resume(client, rows)
        if len(fresh) > BATCH_THRESHOLD:
            _send_batch(client, fresh)
        elif fresh:
            _send_online(client, fresh)
    except KsefRateLimited as exc:
        _requeue([r for r in rows if r.state == State.SENDING], error=_error_text(exc),
                 wait=timedelta(seconds=exc.retry_after or 60))
    except KsefUnavailable as exc:
        _requeue([r for r in rows if r.state == State.SENDING], error=_error_text(exc),
                 wait=_backoff(max((r.attempts for r in rows), default=1)), offline=True)
    except KsefError as exc:  # refused token, wrong NIP: the administrator must act
        _requeue([r for r in rows if r.state == State.SENDING], error=_error_text(exc),
                 wait=_backoff(max((r.attempts for r in rows), default=1)))
        return {"claimed": len(rows), "retry_in": None, "error": _error_text(exc)}
    polled = submissions_poll(client=client)
    return {"claimed": len(rows), **polled, "retry_in": _retry_in(polled)}


def _retry_in(polled: dict) -> float | None:
    """Seconds until the next round has work: statuses still processing, a queued row, a
    retry's time or a claimed row's lease (a worker may have died with it)."""
    if polled.get("processing"):
        return 10.0
    waiting = KsefSubmission.objects.filter(state__in=(State.QUEUED, State.SENDING))
    if waiting.filter(next_try_at__isnull=True).exists():
        return 0.0
    next_at = (waiting.order_by("next_try_at").values_list("next_try_at", flat=True).first())
    if next_at is None:
        return None
    return max((next_at - timezone.now()).total_seconds(), 0.0)


# --------------------------------------------------------------------------- polling

def _accept(row: KsefSubmission, status, upo: bytes) -> None:
    """Accepted: the KSeF number, the acquisition time and the UPO, which must validate
    against upo-v4-3.xsd (else the row waits and the UPO is fetched again)."""
    from .upo import upo_validate

    problems = upo_validate(upo)
    if problems:
        raise ValidationError(problems)
    row.state = State.ACCEPTED
    row.ksef_number = status.ksef_number
    row.acquired_at = status.acquired_at
    row.upo = upo.decode("utf-8")
    row.error_code = None
    row.error_details = []
    row.last_error = ""
    _save(row, "state", "ksef_number", "acquired_at", "upo", "error_code", "error_details",
          "last_error")


def _upos_fetch(client, session_reference: str, rows: list[KsefSubmission]) -> list:
    """The UPOs of accepted invoices, ``UPO_THREADS`` requests at a time (only HTTP runs in
    the threads; the rows are written by the caller). Each item: bytes or the KsefError."""
    from concurrent.futures import ThreadPoolExecutor

    from .client import KsefError

    def fetch(row):
        try:
            return client.invoice_upo(session_reference, row.invoice_reference)
        except KsefError as exc:
            return exc

    if len(rows) <= 1:
        return [fetch(row) for row in rows]
    with ThreadPoolExecutor(max_workers=UPO_THREADS) as pool:
        return list(pool.map(fetch, rows))


def _reject(row: KsefSubmission, status) -> None:
    row.state = State.REJECTED
    row.error_code = status.code
    row.error_details = [status.description, *(status.details or [])]
    row.last_error = status.description or ""
    _save(row, "state", "error_code", "error_details", "last_error")


DUPLICATE = 440


def _original_of_duplicate(client, row: KsefSubmission, status):
    """KSeF refused the invoice as a duplicate of one it accepted: when that one has the
    same hash it is this invoice, sent before a crash whose session was never recorded
    (a batch upload cut short). Returns (its session reference, its status), or None."""
    reference = (status.extensions or {}).get("originalSessionReferenceNumber")
    if status.code != DUPLICATE or not reference or not row.invoice_hash:
        return None
    for original in client.session_invoices(reference):
        if original.invoice_hash == row.invoice_hash and original.accepted:
            return reference, original
    return None


def _poll_session(client, reference: str, rows: list[KsefSubmission], counts: dict) -> None:
    """One request for the statuses of a whole session (paged by the client), matched by
    invoice reference, else by hash (a batch session's rows have no reference yet); then
    the UPOs of the accepted ones."""
    from .client import KsefError

    statuses = client.session_invoices(reference)
    by_reference = {s.reference_number: s for s in statuses}
    by_hash = {s.invoice_hash: s for s in statuses}
    accepted = []
    for row in rows:
        status = by_reference.get(row.invoice_reference) or by_hash.get(row.invoice_hash)
        if status is None or status.processing:
            counts["processing"] += 1
            continue
        if not row.invoice_reference:
            row.invoice_reference = status.reference_number
            _save(row, "invoice_reference")
        if status.accepted:
            accepted.append((row, status))
        elif (original := _original_of_duplicate(client, row, status)) is not None:
            row.session_reference, status = original
            row.invoice_reference = status.reference_number
            _accept(row, status, client.invoice_upo(row.session_reference,
                                                    row.invoice_reference))
            _save(row, "session_reference", "invoice_reference")
            counts["accepted"] += 1
        else:
            _reject(row, status)
            counts["rejected"] += 1
    upos = _upos_fetch(client, reference, [row for row, _s in accepted])
    for (row, status), upo in zip(accepted, upos, strict=True):
        try:
            if isinstance(upo, KsefError):
                raise upo
            _accept(row, status, upo)
            counts["accepted"] += 1
        except (KsefError, ValidationError) as exc:
            row.last_error = _error_text(exc) if isinstance(exc, KsefError) \
                else "; ".join(exc.messages)
            _save(row, "last_error")
            counts["processing"] += 1


def submissions_poll(*, client, polls: int = POLLS) -> dict:
    """Statuses of the tenant's sent invoices, session by session, up to ``polls`` rounds
    while KSeF is still processing some; the UPO of each accepted one. Returns counts:
    accepted, rejected, processing."""
    from .client import KsefError

    counts = {"accepted": 0, "rejected": 0, "processing": 0}
    for round_ in range(polls):
        sessions: dict[str, list[KsefSubmission]] = {}
        for row in KsefSubmission.objects.filter(state=State.SENT).order_by("pk"):
            sessions.setdefault(row.session_reference, []).append(row)
        counts["processing"] = 0
        for reference, rows in sessions.items():
            try:
                _poll_session(client, reference, rows, counts)
            except KsefError as exc:
                KsefSubmission.objects.filter(pk__in=[r.pk for r in rows]).update(
                    last_error=_error_text(exc))
                counts["processing"] += len(rows)
        if not counts["processing"]:
            break
        if round_ < polls - 1:
            time.sleep(POLL_INTERVAL_S)
    return counts
