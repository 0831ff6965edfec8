"""Every write to cases (owned by the cases part). Other parts call these.

Each service runs in one transaction, locks the case (``select_for_update``) before it
reads what it changes, journals the change with its before/after (``CaseJournal``),
writes the action log, lets the SLA part recompute the deadlines
(``helpdesk.sla.case_sla_refresh``) and publishes its event (``core.events``, delivered
after commit): ``case.created``, ``case.changed`` (status, queue or owner),
``case.comment_added``.

Workflow: a case waits in a queue; a member of the queue takes it ("Przejmij", owner =
the member); "Wyślij" sends it to another queue (owner cleared); a case whose mandatory
data is missing is returned to its creator with a reason (owner = creator) and the
creator completes it (back to the queue, unowned). Status: new → in progress → waiting for
the customer → resolved → closed; a resolved or closed case may be reopened.

Which source must fill the type's mandatory fields at once: staff and the customer panel
(a person fills a form); a routing rule, an e-mail and an interaction may raise a case
with data missing — the queue member returns it to the creator for completion.
"""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from core.actionlog import action_log, staff_of
from core.events import publish
from core.numbering import number_next
from core.tenancy import current_tenant
from helpdesk.case_fields import case_data_clean, case_data_missing, case_type_fields
from helpdesk.models import (
    Case,
    CaseAttachment,
    CaseComment,
    CaseJournal,
    CaseSource,
    CaseStatus,
    CaseType,
    CommentSource,
    JournalKind,
    Priority,
    Queue,
    QueueMember,
)

NUMBER_SERIES = "helpdesk.case"
# Sources where a person fills the form: the type's mandatory fields are required.
MANDATORY_SOURCES = (CaseSource.STAFF, CaseSource.PANEL)
TITLE_MAX = 200
BODY_MAX = 20_000
REASON_MAX = 2000
ATTACHMENT_MAX_MB = 10

# Allowed status changes (the workflow); reopening = resolved/closed → in progress.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    CaseStatus.NEW: (CaseStatus.IN_PROGRESS, CaseStatus.WAITING, CaseStatus.RESOLVED,
                     CaseStatus.CLOSED),
    CaseStatus.IN_PROGRESS: (CaseStatus.WAITING, CaseStatus.RESOLVED, CaseStatus.CLOSED),
    CaseStatus.WAITING: (CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED, CaseStatus.CLOSED),
    CaseStatus.RESOLVED: (CaseStatus.IN_PROGRESS, CaseStatus.CLOSED),
    CaseStatus.CLOSED: (CaseStatus.IN_PROGRESS,),
}


# --------------------------------------------------------------------------- helpers

def _now(now):
    return now or timezone.now()


def _same_tenant(obj, field: str, message: str):
    """``obj`` (a row given by the caller) must be the active tenant's: another tenant's
    row is refused as if it did not exist."""
    if obj is not None and obj.tenant_id != current_tenant().pk:
        raise ValidationError({field: [message]})


def _lock(case: Case) -> Case:
    return (Case.objects.select_for_update(of=("self",))
            .select_related("case_type", "queue", "customer").get(pk=case.pk))


def _journal(case: Case, kind: str, *, actor, now, by_customer: bool = False,
             **data) -> CaseJournal:
    return CaseJournal.objects.create(case=case, kind=kind, actor=staff_of(actor),
                                      by_customer=by_customer, data=data, created_at=now)


def _sla(case: Case, now) -> list[str]:
    from helpdesk.sla import case_sla_refresh

    return list(case_sla_refresh(case, now=now) or [])


def _changed(case: Case) -> None:
    publish("case.changed", case_id=case.pk, number=case.number, status=case.status,
            queue_id=case.queue_id, owner_id=case.owner_id)


def _user_label(user) -> str:
    if user is None:
        return ""
    return (user.get_full_name() or user.get_username()) if hasattr(user, "get_username") \
        else str(user)


def _is_member(queue_id: int, user) -> bool:
    return user is not None and getattr(user, "pk", None) is not None and \
        QueueMember.objects.filter(queue_id=queue_id, user_id=user.pk).exists()


def _title_clean(title) -> str:
    title = " ".join(str(title or "").split())
    if not title:
        raise ValidationError({"title": [_("Enter the subject.")]})
    if len(title) > TITLE_MAX:
        raise ValidationError({"title": [_("The subject has at most %(n)s characters.")
                                         % {"n": TITLE_MAX}]})
    return title


def _text_clean(text, field: str, limit: int, *, required: bool = False,
                empty_message: str = "") -> str:
    text = str(text or "").strip()
    if required and not text:
        raise ValidationError({field: [empty_message or _("This field is required.")]})
    if len(text) > limit:
        raise ValidationError({field: [_("At most %(n)s characters.") % {"n": limit}]})
    return text


def _priority_clean(priority, default) -> int:
    if priority in (None, ""):
        return int(default)
    try:
        value = int(priority)
    except (TypeError, ValueError):
        value = None
    if value not in Priority.values:
        raise ValidationError({"priority": [_("Choose a priority from the list.")]})
    return value


def _queue_check(queue: Queue, field: str = "queue") -> None:
    _same_tenant(queue, field, _("Choose a queue from the list."))
    if not queue.is_active:
        raise ValidationError({field: [_("The queue “%(q)s” is no longer active.")
                                       % {"q": queue.name}]})


def _case_type_check(case_type: CaseType) -> None:
    _same_tenant(case_type, "case_type", _("Choose a case type from the list."))
    if not case_type.is_active:
        raise ValidationError({"case_type": [_("The case type “%(t)s” is no longer active.")
                                             % {"t": case_type.name}]})


def _contact_clean(name, phone, email) -> tuple[str, str, str]:
    name = _text_clean(name, "contact_name", 200)
    phone = _text_clean(phone, "contact_phone", 32)
    email = _text_clean(email, "contact_email", 254)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError({"contact_email": [_("Enter a valid e-mail address.")]}) \
                from None
    return name, phone, email


# --------------------------------------------------------------------------- create

def case_create(*, actor, case_type, title: str, description: str = "", queue=None,
                priority=None, topic=None, customer=None, contact_name: str = "",
                contact_phone: str = "", contact_email: str = "", data: dict | None = None,
                source: str = "staff", interaction=None, by_customer: bool = False,
                attachments=(), now=None) -> Case:
    """Create a case: validates ``data`` against the type's fields (mandatory ones
    required unless the source may leave them for later), numbers it, journals
    "created", sets the SLA, writes the action log. Raises ValidationError.

    ``actor``: the staff user (the creator), a ``Customer`` in the panel or ``None`` (the
    system: e-mail). The number is the tenant's next without gaps: the number series row
    is locked until commit, so two cases created at once get consecutive numbers.
    Publishes ``case.created`` on commit.
    """
    now = _now(now)
    if source not in CaseSource.values:
        raise ValidationError({"source": [_("Unknown source of a case.")]})
    if case_type is None:
        raise ValidationError({"case_type": [_("Choose a case type.")]})
    _case_type_check(case_type)
    title = _title_clean(title)
    description = _text_clean(description, "description", BODY_MAX)
    priority = _priority_clean(priority, case_type.default_priority)
    queue = queue or case_type.default_queue
    if queue is None:
        raise ValidationError({"queue": [_("Choose a queue: the case type “%(t)s” has no "
                                           "default queue.") % {"t": case_type.name}]})
    _queue_check(queue)
    _same_tenant(customer, "customer", _("Choose a customer."))
    _same_tenant(topic, "topic", _("Choose a topic from the list."))
    _same_tenant(interaction, "interaction", _("Unknown interaction."))
    contact_name, contact_phone, contact_email = _contact_clean(contact_name, contact_phone,
                                                                contact_email)
    fields = case_type_fields(case_type)
    data = case_data_clean(case_type, data, require_mandatory=source in MANDATORY_SOURCES,
                           fields=fields)
    attachments = list(attachments or ())
    with transaction.atomic():
        number = int(number_next(series=NUMBER_SERIES, pattern="{N}", when=now.date()))
        case = Case.objects.create(
            number=number, case_type=case_type, title=title, description=description,
            priority=priority, topic=topic, customer=customer, contact_name=contact_name,
            contact_phone=contact_phone, contact_email=contact_email, queue=queue,
            created_by=staff_of(actor), source=source, interaction=interaction, data=data,
            created_at=now)
        missing = [f.key for f in case_data_missing(case_type, data, fields=fields)]
        _journal(case, JournalKind.CREATED, actor=actor, now=now, by_customer=by_customer,
                 after={"title": title, "queue": queue.name, "type": case_type.name,
                        "priority": priority, "source": source, "data": data},
                 missing=missing)
        changed = _sla(case, now)
        if changed:
            case.save(update_fields=changed)
        for uploaded in attachments:
            _attachment_store(actor=actor, case=case, uploaded_file=uploaded, comment=None,
                              is_public=True, now=now)
        action_log(actor=actor, customer=customer, kind="case.create",
                   message=N_("Case #%(n)s “%(t)s” created in the queue %(q)s"),
                   params={"n": number, "t": title, "q": queue.name})
        publish("case.created", case_id=case.pk, number=number,
                customer_id=customer.pk if customer else None, source=source)
    return case


# --------------------------------------------------------------------------- update

UPDATE_FIELDS = ("title", "description", "priority", "case_type", "topic", "contact_name",
                 "contact_phone", "contact_email")


def case_update(*, actor, case: Case, now=None, **changes) -> Case:
    """Change the subject, description, priority, type, topic, contact or ``data`` (merged
    key by key; an empty value clears a field). A mandatory field that is filled cannot be
    emptied. Journals before/after of what changed; refreshes the SLA when the type or the
    priority changed. Locks the case."""
    now = _now(now)
    unknown = set(changes) - set(UPDATE_FIELDS) - {"data"}
    if unknown:
        raise ValidationError({sorted(unknown)[0]: [_("This field cannot be changed here.")]})
    with transaction.atomic():
        case = _lock(case)
        before = {"title": case.title, "description": case.description,
                  "priority": case.priority, "case_type": case.case_type_id,
                  "topic": case.topic_id, "contact_name": case.contact_name,
                  "contact_phone": case.contact_phone, "contact_email": case.contact_email,
                  "data": dict(case.data)}
        case_type = changes.get("case_type", case.case_type)
        if case_type is None:
            raise ValidationError({"case_type": [_("Choose a case type.")]})
        if case_type.pk != case.case_type_id:
            _case_type_check(case_type)
        if "title" in changes:
            case.title = _title_clean(changes["title"])
        if "description" in changes:
            case.description = _text_clean(changes["description"], "description", BODY_MAX)
        if "priority" in changes:
            case.priority = _priority_clean(changes["priority"], case.priority)
        if "topic" in changes:
            _same_tenant(changes["topic"], "topic", _("Choose a topic from the list."))
            case.topic = changes["topic"]
        if {"contact_name", "contact_phone", "contact_email"} & set(changes):
            case.contact_name, case.contact_phone, case.contact_email = _contact_clean(
                changes.get("contact_name", case.contact_name),
                changes.get("contact_phone", case.contact_phone),
                changes.get("contact_email", case.contact_email))
        fields = case_type_fields(case_type)
        merged = {**case.data, **(changes.get("data") or {})}
        if changes.get("data") is not None and not isinstance(changes["data"], dict):
            raise ValidationError({"data": [_("The fields must be an object of key: value.")]})
        data = case_data_clean(case_type, merged, require_mandatory=False, fields=fields)
        # A mandatory value once given stays given (emptying it would make the case
        # incomplete behind its creator's back).
        emptied = {f.key: [_("%(label)s is mandatory.") % {"label": f.label}]
                   for f in case_data_missing(case_type, data, fields=fields)
                   if case.data.get(f.key) not in (None, "")}
        if emptied:
            raise ValidationError(emptied)
        case.data = data
        case.case_type = case_type
        after = {"title": case.title, "description": case.description,
                 "priority": case.priority, "case_type": case.case_type_id,
                 "topic": case.topic_id, "contact_name": case.contact_name,
                 "contact_phone": case.contact_phone, "contact_email": case.contact_email,
                 "data": case.data}
        diff = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
        if not diff:
            return case
        if "case_type" in diff:
            diff["case_type"] = [CaseType.objects.filter(pk=before["case_type"])
                                 .values_list("name", flat=True).first(), case_type.name]
        case.save()
        if {"priority", "case_type"} & set(diff):
            changed = _sla(case, now)
            if changed:
                case.save(update_fields=changed)
        _journal(case, JournalKind.CHANGED, actor=actor, now=now,
                 before={k: v[0] for k, v in diff.items()},
                 after={k: v[1] for k, v in diff.items()})
        action_log(actor=actor, customer=case.customer, kind="case.update",
                   message=N_("Case #%(n)s changed"), params={"n": case.number},
                   changes={k: v for k, v in diff.items() if k not in ("data", "case_type")})
    return case


# --------------------------------------------------------------------------- workflow

def case_send(*, actor, case: Case, queue: Queue, note: str = "", now=None) -> Case:
    """"Wyślij": move the case to another queue; nobody holds it there yet. Locks the
    case; publishes ``case.changed``."""
    now = _now(now)
    if queue is None:
        raise ValidationError({"queue": [_("Choose a queue.")]})
    _queue_check(queue)
    note = _text_clean(note, "note", REASON_MAX)
    with transaction.atomic():
        case = _lock(case)
        if not case.is_open:
            raise ValidationError({"queue": [_("A resolved or closed case cannot be sent; "
                                               "reopen it first.")]})
        if case.queue_id == queue.pk:
            raise ValidationError({"queue": [_("The case is already in the queue %(q)s.")
                                             % {"q": queue.name}]})
        before_queue, before_owner = case.queue.name, _user_label(case.owner)
        case.queue, case.owner = queue, None
        case.returned_at, case.returned_reason = None, ""
        case.save(update_fields=["queue", "owner", "returned_at", "returned_reason",
                                 "updated_at"])
        _journal(case, JournalKind.SENT, actor=actor, now=now, note=note,
                 before={"queue": before_queue, "owner": before_owner},
                 after={"queue": queue.name, "owner": ""})
        action_log(actor=actor, customer=case.customer, kind="case.send",
                   message=N_("Case #%(n)s sent to the queue %(q)s"),
                   params={"n": case.number, "q": queue.name}, more=[note] if note else None)
        _changed(case)
    return case


def case_take(*, actor, case: Case, now=None) -> Case:
    """A member of the case's queue takes it (owner = the member; a new case goes in
    progress). Locks the case first: of two members taking at once, the second sees the
    first as the owner and is refused."""
    now = _now(now)
    with transaction.atomic():
        case = _lock(case)
        if not _is_member(case.queue_id, actor):
            raise ValidationError(_("Only a member of the queue %(q)s can take this case.")
                                  % {"q": case.queue.name})
        if not case.is_open:
            raise ValidationError(_("A resolved or closed case cannot be taken; reopen it "
                                    "first."))
        if case.is_returned:
            raise ValidationError(_("The case waits for its creator to complete the missing "
                                    "data."))
        if case.owner_id == actor.pk:
            raise ValidationError(_("You already hold this case."))
        if case.owner_id is not None:
            raise ValidationError(_("%(who)s has already taken this case.")
                                  % {"who": _user_label(case.owner)})
        before_status = case.status
        case.owner = actor
        if case.status == CaseStatus.NEW:
            case.status = CaseStatus.IN_PROGRESS
        fields = ["owner", "status", "updated_at"]
        if before_status != case.status:
            fields += _sla(case, now)
        case.save(update_fields=sorted(set(fields)))
        _journal(case, JournalKind.TAKEN, actor=actor, now=now,
                 before={"owner": "", "status": before_status},
                 after={"owner": _user_label(actor), "status": case.status})
        action_log(actor=actor, customer=case.customer, kind="case.take",
                   message=N_("Case #%(n)s taken"), params={"n": case.number})
        _changed(case)
    return case


def case_return(*, actor, case: Case, reason: str, now=None) -> Case:
    """Return the case to its creator for missing data, with the reason: the creator holds
    it until they complete it. Only a member of the case's queue returns it; a case no
    staff member created (the panel, an e-mail) has nobody to return it to."""
    now = _now(now)
    reason = _text_clean(reason, "reason", REASON_MAX, required=True,
                         empty_message=_("Say what is missing."))
    with transaction.atomic():
        case = _lock(case)
        if not _is_member(case.queue_id, actor):
            raise ValidationError(_("Only a member of the queue %(q)s can return this case.")
                                  % {"q": case.queue.name})
        if not case.is_open:
            raise ValidationError(_("A resolved or closed case cannot be returned."))
        if case.created_by_id is None:
            raise ValidationError(_("The case was not created by a staff member: there is "
                                    "nobody to return it to."))
        if case.is_returned:
            raise ValidationError(_("The case has already been returned to its creator."))
        before_owner = _user_label(case.owner)
        case.owner_id = case.created_by_id
        case.returned_at, case.returned_reason = now, reason
        case.save(update_fields=["owner", "returned_at", "returned_reason", "updated_at"])
        _journal(case, JournalKind.RETURNED, actor=actor, now=now, reason=reason,
                 before={"owner": before_owner},
                 after={"owner": _user_label(case.created_by)})
        action_log(actor=actor, customer=case.customer, kind="case.return",
                   message=N_("Case #%(n)s returned to its creator"),
                   params={"n": case.number}, more=[reason])
        _changed(case)
    return case


def case_complete(*, actor, case: Case, data: dict | None, now=None) -> Case:
    """The creator fills the missing data of a returned case; the type's mandatory fields
    are now required. The case goes back to its queue, held by nobody."""
    now = _now(now)
    with transaction.atomic():
        case = _lock(case)
        if not case.is_returned:
            raise ValidationError(_("The case has not been returned for completion."))
        if actor is None or case.created_by_id != getattr(actor, "pk", None):
            raise ValidationError(_("Only the creator of the case can complete it."))
        fields = case_type_fields(case.case_type)
        merged = {**case.data, **(data or {})}
        cleaned = case_data_clean(case.case_type, merged, require_mandatory=True,
                                  fields=fields)
        before = {"data": dict(case.data), "owner": _user_label(case.owner)}
        case.data, case.owner = cleaned, None
        reason = case.returned_reason
        case.returned_at, case.returned_reason = None, ""
        case.save(update_fields=["data", "owner", "returned_at", "returned_reason",
                                 "updated_at"])
        _journal(case, JournalKind.COMPLETED, actor=actor, now=now, reason=reason,
                 before=before, after={"data": cleaned, "owner": ""})
        action_log(actor=actor, customer=case.customer, kind="case.complete",
                   message=N_("Case #%(n)s completed and back in the queue %(q)s"),
                   params={"n": case.number, "q": case.queue.name})
        _changed(case)
    return case


def case_status_set(*, actor, case: Case, status: str, note: str = "", now=None) -> Case:
    """Change the status along the workflow (``TRANSITIONS``); resolving sets
    ``resolved_at``, closing ``closed_at``, reopening clears both. Refreshes the SLA (the
    clock pauses while waiting for the customer). Locks the case."""
    now = _now(now)
    if status not in CaseStatus.values:
        raise ValidationError({"status": [_("Unknown status.")]})
    note = _text_clean(note, "note", REASON_MAX)
    with transaction.atomic():
        case = _lock(case)
        before = case.status
        if status not in TRANSITIONS.get(before, ()):
            raise ValidationError({"status": [
                _("A case that is “%(a)s” cannot become “%(b)s”.")
                % {"a": CaseStatus(before).label, "b": CaseStatus(status).label}]})
        if case.is_returned and status != CaseStatus.CLOSED:
            raise ValidationError({"status": [_("The case waits for its creator to complete "
                                                "the missing data.")]})
        case.status = status
        fields = {"status", "updated_at"}
        if status == CaseStatus.RESOLVED:
            case.resolved_at = now
            fields.add("resolved_at")
        elif status == CaseStatus.CLOSED:
            case.closed_at = now
            case.resolved_at = case.resolved_at or now
            fields |= {"closed_at", "resolved_at"}
        elif before in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
            case.resolved_at = case.closed_at = None
            fields |= {"closed_at", "resolved_at"}
        fields |= set(_sla(case, now))
        case.save(update_fields=sorted(fields))
        _journal(case, JournalKind.STATUS, actor=actor, now=now, note=note,
                 before={"status": before}, after={"status": status})
        action_log(actor=actor, customer=case.customer, kind="case.status",
                   message=N_("Case #%(n)s: status %(a)s → %(b)s"),
                   params={"n": case.number, "a": CaseStatus(before).label,
                           "b": CaseStatus(status).label}, more=[note] if note else None)
        _changed(case)
    return case


def case_status_choices(case: Case) -> list[tuple[str, str]]:
    """The statuses the case may go to now (for the forms)."""
    return [(s, CaseStatus(s).label) for s in TRANSITIONS.get(case.status, ())]


# --------------------------------------------------------------------------- comments

def case_comment_add(*, actor, case, body: str, is_public: bool = True,
                     by_customer: bool = False, source: str = "staff",
                     email_message_id: str = "", attachments=(), now=None) -> CaseComment:
    """Add a reply or an internal note; a staff public reply is the first response.

    ``by_customer``: the customer wrote it (the panel, an e-mail): always public; a case
    waiting for the customer goes back in progress and a resolved one is reopened (in
    progress, ``resolved_at`` cleared, the status change journaled, the SLA refreshed); a
    closed case refuses the customer's reply (the panel asks for a new ticket, an e-mail
    starts a new case). An internal note (``is_public`` off) is never shown to the
    customer. Locks the case; publishes ``case.comment_added`` (and ``case.changed`` when
    the status moved) on commit.
    """
    now = _now(now)
    if source not in CommentSource.values:
        raise ValidationError({"source": [_("Unknown source of a comment.")]})
    body = _text_clean(body, "body", BODY_MAX, required=True,
                       empty_message=_("Write the text of the comment."))
    if by_customer:
        is_public = True
    attachments = list(attachments or ())
    with transaction.atomic():
        case = _lock(case)
        if by_customer and case.status == CaseStatus.CLOSED:
            raise ValidationError(_("This case is closed: a reply cannot be added to it."))
        email_message_id = str(email_message_id or "")[:255]
        if email_message_id and CaseComment.objects.filter(
                case=case, email_message_id=email_message_id).exists():
            raise ValidationError({"email_message_id": [
                _("This e-mail has already been added to the case.")]})
        comment = CaseComment.objects.create(
            case=case, author=None if by_customer else staff_of(actor),
            by_customer=by_customer, body=body, is_public=bool(is_public), source=source,
            email_message_id=email_message_id)
        fields: set[str] = set()
        status_before = case.status
        if by_customer and case.status in (CaseStatus.WAITING, CaseStatus.RESOLVED):
            case.status = CaseStatus.IN_PROGRESS
            fields.add("status")
            if status_before == CaseStatus.RESOLVED:  # reopened, as case_status_set does
                case.resolved_at = case.closed_at = None
                fields |= {"resolved_at", "closed_at"}
        if is_public and not by_customer and staff_of(actor) is not None \
                and case.first_response_at is None:
            case.first_response_at = now
            fields.add("first_response_at")
        if fields:
            fields |= set(_sla(case, now))
        case.save(update_fields=sorted(fields | {"updated_at"}))
        for uploaded in attachments:
            _attachment_store(actor=actor, case=case, uploaded_file=uploaded, comment=comment,
                              is_public=comment.is_public, now=now)
        _journal(case, JournalKind.COMMENTED, actor=actor, now=now, by_customer=by_customer,
                 comment_id=comment.pk, is_public=comment.is_public, source=source,
                 **({"before": {"status": status_before}, "after": {"status": case.status}}
                    if status_before != case.status else {}))
        if status_before != case.status:
            note = (_("Reopened by the customer's reply.")
                    if status_before == CaseStatus.RESOLVED
                    else _("The customer replied."))
            _journal(case, JournalKind.STATUS, actor=actor, now=now, by_customer=True,
                     note=note, before={"status": status_before},
                     after={"status": case.status})
            action_log(actor=actor, customer=case.customer, kind="case.status",
                       message=N_("Case #%(n)s: status %(a)s → %(b)s"),
                       params={"n": case.number, "a": CaseStatus(status_before).label,
                               "b": CaseStatus(case.status).label}, more=[note])
        action_log(actor=actor, customer=case.customer, kind="case.comment",
                   message=(N_("Reply added to case #%(n)s") if comment.is_public
                            else N_("Internal note added to case #%(n)s")),
                   params={"n": case.number})
        publish("case.comment_added", case_id=case.pk, number=case.number,
                comment_id=comment.pk, is_public=comment.is_public, by_customer=by_customer,
                source=source)
        if status_before != case.status:
            _changed(case)
    return comment


# --------------------------------------------------------------------------- attachments

def attachment_max_bytes() -> int:
    from core.tenant_settings import setting_get

    try:
        return int(setting_get("helpdesk.attachment_max_mb")) * 1024 * 1024
    except Exception:  # the setting is registered in setup_cases; tests may run without
        return ATTACHMENT_MAX_MB * 1024 * 1024


def _attachment_store(*, actor, case: Case, uploaded_file, comment, is_public: bool,
                      now) -> CaseAttachment:
    from core.uploads import EXTENSIONS, upload_validate

    checked = upload_validate(uploaded_file, max_bytes=attachment_max_bytes(),
                              accepted=tuple(EXTENSIONS), refusal=_(
                                  "Only PDF, JPG, PNG and GIF files are accepted; this file's "
                                  "content is none of them."))
    attachment = CaseAttachment(case=case, comment=comment, name=checked.name[:200],
                                content_type=checked.content_type, size=checked.size,
                                is_public=bool(is_public), uploaded_by=staff_of(actor))
    attachment.file.save(checked.name, uploaded_file, save=False)
    try:
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)
        raise
    _journal(case, JournalKind.ATTACHED, actor=actor, now=now, attachment_id=attachment.pk,
             name=attachment.name, is_public=attachment.is_public)
    return attachment


def case_attachment_add(*, actor, case: Case, uploaded_file, comment=None,
                        is_public: bool = True, now=None) -> CaseAttachment:
    """Attach a file (PDF, JPEG, PNG, GIF, recognised by content and opened whole by
    ``core.uploads.upload_validate``) to the case, optionally to one of its comments; an
    attachment of an internal note is internal too. Locks the case."""
    now = _now(now)
    with transaction.atomic():
        case = _lock(case)
        if comment is not None:
            if comment.case_id != case.pk:
                raise ValidationError({"comment": [_("The comment belongs to another case.")]})
            is_public = is_public and comment.is_public
        attachment = _attachment_store(actor=actor, case=case, uploaded_file=uploaded_file,
                                       comment=comment, is_public=is_public, now=now)
        action_log(actor=actor, customer=case.customer, kind="case.attach",
                   message=N_("File “%(f)s” attached to case #%(n)s"),
                   params={"f": attachment.name, "n": case.number})
        case.save(update_fields=["updated_at"])
    return attachment


# --------------------------------------------------------------------------- settings

def _name_clean(name, field: str = "name") -> str:
    name = " ".join(str(name or "").split())
    if not name:
        raise ValidationError({field: [_("Enter a name.")]})
    if len(name) > 100:
        raise ValidationError({field: [_("At most %(n)s characters.") % {"n": 100}]})
    return name


def _unique_name(model, name: str, exclude_pk=None, field: str = "name") -> None:
    qs = model.objects.filter(name__iexact=name)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ValidationError({field: [_("“%(n)s” already exists.") % {"n": name}]})


def case_type_save(*, actor, case_type: CaseType | None = None, name: str,
                   description: str = "", is_active: bool = True,
                   panel_visible: bool = False, default_queue=None, default_priority=None,
                   position: int = 0) -> CaseType:
    """Create (``case_type`` None) or change a case type. A retired type keeps its cases;
    it is no longer offered for new ones."""
    name = _name_clean(name)
    description = _text_clean(description, "description", 250)
    if default_queue is not None:
        _queue_check(default_queue, "default_queue")
    priority = _priority_clean(default_priority, Priority.NORMAL)
    with transaction.atomic():
        _unique_name(CaseType, name, case_type.pk if case_type else None)
        creating = case_type is None
        if creating:
            case_type = CaseType()
            before = {}
        else:
            case_type = CaseType.objects.select_for_update().get(pk=case_type.pk)
            before = {f: getattr(case_type, f) for f in (
                "name", "description", "is_active", "panel_visible", "default_queue_id",
                "default_priority", "position")}
        case_type.name, case_type.description = name, description
        case_type.is_active, case_type.panel_visible = bool(is_active), bool(panel_visible)
        case_type.default_queue, case_type.default_priority = default_queue, priority
        case_type.position = max(0, int(position or 0))
        case_type.save()
        if creating:
            action_log(actor=actor, kind="casetype.create",
                       message=N_("Case type “%(n)s” created"), params={"n": name})
        else:
            changes = {k: [v, getattr(case_type, k)] for k, v in before.items()
                       if getattr(case_type, k) != v and k != "default_queue_id"}
            action_log(actor=actor, kind="casetype.update",
                       message=N_("Case type “%(n)s” changed"), params={"n": name},
                       changes=changes)
    return case_type


def case_field_save(*, actor, case_type: CaseType, field=None, key: str = "", label: str,
                    kind: str, required: bool = False, choices=(), help_text: str = "",
                    position: int = 0, is_active: bool = True):
    """Add (``field`` None) or change a field of ``case_type``. The key of an existing
    field stays (values are stored under it); a choice field needs its choices."""
    from django.utils.text import slugify

    from helpdesk.models import CaseField, FieldKind

    _same_tenant(case_type, "case_type", _("Choose a case type from the list."))
    label = _name_clean(label, "label")
    if kind not in FieldKind.values:
        raise ValidationError({"kind": [_("Choose a kind from the list.")]})
    choices = [str(c).strip() for c in (choices or []) if str(c).strip()]
    if kind == FieldKind.CHOICE and not choices:
        raise ValidationError({"choices": [_("A choice field needs its choices, one per "
                                             "line.")]})
    if kind != FieldKind.CHOICE:
        choices = []
    help_text = _text_clean(help_text, "help_text", 250)
    with transaction.atomic():
        creating = field is None
        if creating:
            key = slugify(key or label).replace("-", "_")[:50]
            if not key:
                raise ValidationError({"key": [_("Enter a key of letters, digits and _.")]})
            if CaseField.objects.filter(case_type=case_type, key=key).exists():
                raise ValidationError({"key": [_("The type already has a field “%(k)s”.")
                                               % {"k": key}]})
            field = CaseField(case_type=case_type, key=key)
        else:
            field = CaseField.objects.select_for_update().get(pk=field.pk)
            if field.case_type_id != case_type.pk:
                raise ValidationError(_("The field belongs to another case type."))
        before = {f: getattr(field, f) for f in ("label", "kind", "required", "choices",
                                                 "is_active", "position")}
        field.label, field.kind, field.required = label, kind, bool(required)
        field.choices, field.help_text = choices, help_text
        field.position, field.is_active = max(0, int(position or 0)), bool(is_active)
        field.save()
        action_log(actor=actor, kind="casefield.create" if creating else "casefield.update",
                   message=(N_("Field “%(f)s” added to the case type “%(t)s”") if creating
                            else N_("Field “%(f)s” of the case type “%(t)s” changed")),
                   params={"f": label, "t": case_type.name},
                   changes=None if creating else {
                       k: [v, getattr(field, k)] for k, v in before.items()
                       if getattr(field, k) != v and k != "choices"})
    return field


def queue_save(*, actor, queue: Queue | None = None, name: str, description: str = "",
               extension: str = "", is_active: bool = True, position: int = 0,
               members=None) -> Queue:
    """Create (``queue`` None) or change a queue and, when ``members`` is given, set its
    members to exactly those staff users of the tenant."""
    name = _name_clean(name)
    description = _text_clean(description, "description", 250)
    extension = _text_clean(extension, "extension", 20)
    with transaction.atomic():
        _unique_name(Queue, name, queue.pk if queue else None)
        creating = queue is None
        if creating:
            queue = Queue()
        else:
            queue = Queue.objects.select_for_update().get(pk=queue.pk)
            if not is_active and queue.is_active and CaseType.objects.filter(
                    default_queue=queue, is_active=True).exists():
                raise ValidationError({"is_active": [_(
                    "An active case type sends its cases to this queue: choose another "
                    "default queue for it first.")]})
        before = {f: getattr(queue, f) for f in ("name", "description", "extension",
                                                 "is_active", "position")}
        queue.name, queue.description, queue.extension = name, description, extension
        queue.is_active, queue.position = bool(is_active), max(0, int(position or 0))
        queue.save()
        action_log(actor=actor, kind="queue.create" if creating else "queue.update",
                   message=(N_("Queue “%(n)s” created") if creating
                            else N_("Queue “%(n)s” changed")), params={"n": name},
                   changes=None if creating else {
                       k: [v, getattr(queue, k)] for k, v in before.items()
                       if getattr(queue, k) != v})
        if members is not None:
            _members_set(actor=actor, queue=queue, users=list(members))
    return queue


def _members_set(*, actor, queue: Queue, users: list) -> None:
    from core.models import Membership

    tenant = current_tenant()
    allowed = set(Membership.objects.filter(tenant=tenant, user__in=[u.pk for u in users])
                  .values_list("user_id", flat=True))
    foreign = [u for u in users if u.pk not in allowed]
    if foreign:
        raise ValidationError({"members": [_("Choose staff members from the list.")]})
    wanted = {u.pk for u in users}
    current = set(QueueMember.objects.filter(queue=queue).values_list("user_id", flat=True))
    if wanted == current:
        return
    QueueMember.objects.filter(queue=queue).exclude(user_id__in=wanted).delete()
    QueueMember.objects.bulk_create([QueueMember(tenant=tenant, queue=queue, user_id=pk)
                                     for pk in sorted(wanted - current)])
    names = {u.pk: _user_label(u) for u in users}
    action_log(actor=actor, kind="queue.members",
               message=N_("Members of the queue “%(n)s”: %(m)s"),
               params={"n": queue.name, "m": ", ".join(sorted(names[p] for p in wanted))
                       or "—"})
