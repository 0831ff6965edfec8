"""What a login may do right now: blocks (by staff, for debt), temporary speed, and the
refresh of snapshots when finance changes a tariff or a subscription.

Every service here stores the new snapshot (``radius.attributes``) in its transaction and
queues the push to the NAS of each changed login that is online (CoA, sent after commit
by a worker: ``radius.reloads``). A block replaces the speed by the tenant's block profile
(``computer.block_attributes``); a staff block outranks a debt block, and lifting a debt
block is the debt evaluation's business only.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DecimalField, Exists, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from core.actionlog import action_log, action_log_bulk, staff_of
from core.events import publish
from core.sql import values_in
from core.tenant_settings import setting_get
from customers.models import Customer
from finance.models import Allocation, CustomerAccount, FinanceDocument, Kind

from ..attributes import block_profile_parse, extra_attributes, login_snapshot
from ..models import Login
from .base import _own, login_snapshot_refresh
from .logins import _reload_queue, _reload_queue_many

# The fastest temporary speed one may type: 100 Gbit/s.
MAX_KBPS = 100_000_000
_CHUNK = 1000
_MONEY = DecimalField(max_digits=14, decimal_places=2)


# --------------------------------------------------------------------------- refresh

def _refresh_many(login_ids, *, actor=None, today: date | None = None) -> list[int]:
    """Recompute the snapshots of ``login_ids``; store the ones that changed and queue
    their reload after commit. Returns the ids of the changed logins.

    A fixed number of queries per thousand logins (tariffs, suspensions, NAS and
    attribute rows prefetched, one UPDATE per changed login, one query for the online ones).
    """
    login_ids = sorted(set(login_ids))
    if not login_ids:
        return []
    profile = block_profile_parse(setting_get("computer.block_attributes"))
    today, now = today or timezone.localdate(), timezone.now()
    changed: list[int] = []
    previous: dict[int, dict] = {}  # what the changed logins sent before
    with transaction.atomic():
        for start in range(0, len(login_ids), _CHUNK):
            logins = (Login.objects.filter(pk__in=login_ids[start:start + _CHUNK])
                      .select_related("subscription__tariff")
                      .prefetch_related("nases", "attributes", "subscription__suspensions"))
            logins = list(logins)
            extras = extra_attributes(logins)
            rows = []
            for login in logins:
                snapshot = login_snapshot(login, login.attributes.all(), block_profile=profile,
                                          today=today, now=now, extra=extras.get(login.pk, ()))
                if snapshot != login.radius_snapshot:
                    previous[login.pk] = login.radius_snapshot
                    login.radius_snapshot = snapshot
                    rows.append(login)
            Login.objects.bulk_update(rows, ["radius_snapshot"])
            changed.extend(login.pk for login in rows)
        _reload_queue_many(changed, actor=actor, previous=previous)
    return changed


def logins_refresh(*, customer: Customer | None = None, tariff=None, subscription=None,
                   actor=None) -> int:
    """Refresh what the logins of ``customer`` / on ``tariff`` / on ``subscription`` send,
    after finance changed their speeds or dates; call inside finance's transaction.
    Reloads (after commit) the online logins whose snapshot changed; returns how many
    changed."""
    logins = Login.objects.all()
    if customer is not None:
        logins = logins.filter(customer=customer)
    if tariff is not None:
        logins = logins.filter(subscription__tariff=tariff)
    if subscription is not None:
        logins = logins.filter(subscription=subscription)
    if customer is None and tariff is None and subscription is None:
        raise TypeError("logins_refresh: say whose logins")
    return len(_refresh_many(logins.values_list("pk", flat=True), actor=actor))


def _actor(actor_id):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=actor_id).first() if actor_id else None


def tariff_logins_refresh(*, tariff_id: int, actor_id=None, **_data) -> int:
    """``tariff.speeds_changed``: the logins on the tariff send its new speeds."""
    return len(_refresh_many(Login.objects.filter(subscription__tariff_id=tariff_id)
                             .values_list("pk", flat=True), actor=_actor(actor_id)))


def subscription_logins_refresh(*, subscription_id: int, actor_id=None, **_data) -> int:
    """``subscription.changed``: its dates or suspensions decide whether the logins on it
    get the tariff or the block."""
    return len(_refresh_many(Login.objects.filter(subscription_id=subscription_id)
                             .values_list("pk", flat=True), actor=_actor(actor_id)))


def customer_logins_refresh(*, customer_id: int, **_data) -> int:
    """The handler of events saying another app changed what the customer's logins get
    (``attributes.register_extra_attributes``, e.g. ``notice.changed``): store their new
    snapshots and reload (after commit) the online ones whose snapshot changed."""
    return len(_refresh_many(Login.objects.filter(customer_id=customer_id)
                             .values_list("pk", flat=True)))


def logins_refresh_daily(*, today: date | None = None) -> int:
    """Refresh the logins whose tariff started or ended, or whose suspension began or
    ended, in the last days (a day the task missed is caught up): the snapshot depends on
    the date. Returns how many changed."""
    today = today or timezone.localdate()
    started = Q(subscription__start_date__range=(today - timedelta(days=2), today))
    ended = Q(subscription__end_date__range=(today - timedelta(days=3), today - timedelta(days=1)))
    suspended = Q(subscription__suspensions__date_from__range=(today - timedelta(days=2), today))
    resumed = Q(subscription__suspensions__date_to__range=(today - timedelta(days=3),
                                                           today - timedelta(days=1)))
    ids = Login.objects.filter(started | ended | suspended | resumed).values_list(
        "pk", flat=True).distinct()
    return len(_refresh_many(ids, today=today))


# --------------------------------------------------------------------------- blocks

def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for the block.")]})
    if len(reason) > 200:
        raise ValidationError({"reason": [_("The reason has at most 200 characters.")]})
    return reason


def _set(login: Login, *, actor, **fields) -> bool:
    """Write ``fields`` of the locked ``login``, store its snapshot, queue the reload if
    the snapshot changed. Call inside a transaction. Returns whether the snapshot changed."""
    for name, value in fields.items():
        setattr(login, name, value)
    Login.objects.filter(pk=login.pk).update(**fields, updated_at=timezone.now())
    before = login.radius_snapshot
    login_snapshot_refresh(login)
    if login.radius_snapshot != before:
        _reload_queue(login, actor=actor, previous=before)
        return True
    return False


def _locked(login: Login) -> Login:
    return Login.objects.select_for_update(of=("self",)).select_related(
        "customer", "subscription__tariff").get(pk=login.pk)


def login_block(*, actor, login: Login, reason: str) -> Login:
    """Block ``login`` by staff (a debt block becomes a staff block): the NAS gets the
    block profile. Locks the login; queues its reload after commit."""
    reason = _clean_reason(reason)
    _own("login", login)
    with transaction.atomic():
        login = _locked(login)
        if login.block == Login.Block.STAFF and login.block_reason == reason:
            return login
        before = login.block
        _set(login, actor=actor, block=Login.Block.STAFF, block_reason=reason)
        action_log(actor=staff_of(actor), customer=login.customer, kind="login.block",
                   message=N_("Login %(login)s blocked: %(reason)s"),
                   params={"login": login.login, "reason": reason},
                   changes={"block": [before, Login.Block.STAFF]})
    return login


def login_unblock(*, actor, login: Login) -> Login:
    """Lift a staff block (a debt block stays until the customer pays). Locks the login;
    queues its reload after commit."""
    _own("login", login)
    with transaction.atomic():
        login = _locked(login)
        if login.block != Login.Block.STAFF:
            if login.block == Login.Block.DEBT:
                raise ValidationError({"block": [_(
                    "The login is blocked for debt: it is unblocked when the debt is paid.")]})
            return login
        _set(login, actor=actor, block=Login.Block.NONE, block_reason="")
        action_log(actor=staff_of(actor), customer=login.customer, kind="login.unblock",
                   message=N_("Login %(login)s unblocked."), params={"login": login.login},
                   changes={"block": [Login.Block.STAFF, Login.Block.NONE]})
    return login


def customer_block(*, actor, customer: Customer, reason: str) -> int:
    """Block every login of ``customer`` by staff; returns how many were blocked."""
    reason = _clean_reason(reason)
    _own("customer", customer)
    with transaction.atomic():
        ids = list(Login.objects.select_for_update().filter(customer=customer).exclude(
            block=Login.Block.STAFF, block_reason=reason).values_list("pk", flat=True))
        if not ids:
            return 0
        Login.objects.filter(pk__in=ids).update(block=Login.Block.STAFF, block_reason=reason,
                                                updated_at=timezone.now())
        _refresh_many(ids, actor=actor)
        action_log(actor=staff_of(actor), customer=customer, kind="login.block",
                   message=N_("Every login of the customer blocked (%(count)s): %(reason)s"),
                   params={"count": len(ids), "reason": reason})
    return len(ids)


def customer_unblock(*, actor, customer: Customer) -> int:
    """Lift the staff blocks of ``customer``'s logins; returns how many were unblocked."""
    _own("customer", customer)
    with transaction.atomic():
        ids = list(Login.objects.select_for_update().filter(
            customer=customer, block=Login.Block.STAFF).values_list("pk", flat=True))
        if not ids:
            return 0
        Login.objects.filter(pk__in=ids).update(block=Login.Block.NONE, block_reason="",
                                                updated_at=timezone.now())
        _refresh_many(ids, actor=actor)
        action_log(actor=staff_of(actor), customer=customer, kind="login.unblock",
                   message=N_("Every login of the customer unblocked (%(count)s)."),
                   params={"count": len(ids)})
    return len(ids)


def debtor_customer_ids(*, today: date | None = None, customer: Customer | None = None):
    """Ids (a subquery) of the active tenant's customers to block for debt: the balance
    below −``computer.debt_block_threshold`` and an invoice unpaid for more than
    ``computer.debt_block_grace_days`` after its due date.

    The balance is finance's cached one (``CustomerAccount.balance``, what
    ``finance.selectors.customer_balance`` reads); an invoice is unpaid while its debit
    exceeds what is allocated to it, as ``finance.selectors.open_receivable_list`` says.
    """
    today = today or timezone.localdate()
    threshold = Decimal(setting_get("computer.debt_block_threshold"))
    cutoff = today - timedelta(days=setting_get("computer.debt_block_grace_days"))
    allocated = Subquery(Allocation.objects.filter(receivable=OuterRef("pk")).order_by()
                         .values("receivable").annotate(total=Sum("amount")).values("total"),
                         output_field=_MONEY)
    overdue = (FinanceDocument.objects.filter(customer=OuterRef("customer_id"),
                                              kind=Kind.INVOICE, debit__gt=0)
               .annotate(due=Coalesce("due_date", "issue_date")).filter(due__lt=cutoff)
               .annotate(left=F("debit") - Coalesce(allocated, Value(Decimal(0)),
                                                     output_field=_MONEY))
               .filter(left__gt=0))
    accounts = CustomerAccount.objects.filter(balance__lt=-threshold).filter(Exists(overdue))
    if customer is not None:
        accounts = accounts.filter(customer=customer)
    return accounts.values("customer_id")


def logins_debt_block_evaluate(*, today: date | None = None, customer: Customer | None = None,
                               lift_only: bool = False) -> tuple[int, int]:
    """Block for debt the logins of the debtors (``debtor_customer_ids``) that are not
    blocked, and lift the debt blocks of customers who no longer are; ``customer``: only
    theirs (after a payment, say). One action-log entry per customer whose logins changed.
    Set-based: two UPDATEs whatever the number of customers, then the changed logins'
    snapshots. ``lift_only``: only lift (the frequent pass, so a payment unblocks within
    minutes while new blocks start at one hour of the day). Returns (blocked, unblocked)
    login counts."""
    debtors = debtor_customer_ids(today=today, customer=customer)
    with transaction.atomic():
        # Read once: the logins below and the other services (the event) see one answer.
        debtors = list(debtors.values_list("customer_id", flat=True))
        logins = Login.objects.all()
        if customer is not None:
            logins = logins.filter(customer=customer)
        now = timezone.now()
        to_block = [] if lift_only else list(
            logins.filter(block=Login.Block.NONE,
                          customer_id__in=values_in(debtors, "bigint"))
            .select_for_update().values_list("pk", "customer_id"))
        to_unblock = list(logins.filter(block=Login.Block.DEBT)
                          .exclude(customer_id__in=values_in(debtors, "bigint"))
                          .select_for_update().values_list("pk", "customer_id"))
        reason = _("Unpaid invoices past due")
        Login.objects.filter(pk__in=[pk for pk, _c in to_block]).update(
            block=Login.Block.DEBT, block_reason=reason, updated_at=now)
        Login.objects.filter(pk__in=[pk for pk, _c in to_unblock]).update(
            block=Login.Block.NONE, block_reason="", updated_at=now)
        _refresh_many([pk for pk, _c in to_block + to_unblock])
        entries = [(customer_id, N_("Logins blocked for debt: %(count)s."), {"count": count})
                   for customer_id, count in _count_by_customer(to_block)]
        entries += [(customer_id, N_("Debt paid: logins unblocked: %(count)s."),
                     {"count": count}) for customer_id, count in _count_by_customer(to_unblock)]
        if entries:
            action_log_bulk(actor=None, kind="login.debt_block", entries=entries)
        # After commit: the customers' other services follow the same answer (voip's
        # phones), whether or not a login changed (a customer may have no login).
        publish("debt_block.evaluated", debtor_customer_ids=sorted(debtors),
                customer_id=customer.pk if customer is not None else None,
                lift_only=lift_only)
    return len(to_block), len(to_unblock)


def _count_by_customer(rows) -> list[tuple[int, int]]:
    counts: dict[int, int] = {}
    for _pk, customer_id in rows:
        counts[customer_id] = counts.get(customer_id, 0) + 1
    return sorted(counts.items())


# --------------------------------------------------------------------------- temporary speed

def _clean_kbps(errors: dict, field: str, value) -> int | None:
    if isinstance(value, bool):
        value = None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        number = None
    if number is None or not 0 < number <= MAX_KBPS:
        errors[field] = [_("Enter the speed in kbit/s: a whole number from 1 to %(max)s.")
                         % {"max": MAX_KBPS}]
        return None
    return number


def login_temp_speed_set(*, actor, login: Login, download_kbps: int, upload_kbps: int,
                         until: datetime) -> Login:
    """Give ``login`` the temporary speed ("prędkość tymczasowa") until ``until``; it
    overrides the tariff's, not a block. Locks the login; queues its reload after commit.
    """
    errors: dict = {}
    download = _clean_kbps(errors, "download_kbps", download_kbps)
    upload = _clean_kbps(errors, "upload_kbps", upload_kbps)
    if not isinstance(until, datetime):
        errors["until"] = [_("Enter the date and time the temporary speed ends.")]
    else:
        if timezone.is_naive(until):
            until = timezone.make_aware(until)
        if until <= timezone.now():
            errors["until"] = [_("The end of the temporary speed must be in the future.")]
    if errors:
        raise ValidationError(errors)
    _own("login", login)
    with transaction.atomic():
        login = _locked(login)
        _set(login, actor=actor, temp_download_kbps=download, temp_upload_kbps=upload,
             temp_speed_until=until)
        action_log(actor=staff_of(actor), customer=login.customer, kind="login.temp_speed",
                   message=N_("Temporary speed of login %(login)s: %(down)s/%(up)s kbit/s "
                              "until %(until)s."),
                   params={"login": login.login, "down": download, "up": upload,
                           "until": until})
    return login


def login_temp_speed_clear(*, actor, login: Login) -> Login:
    """End the temporary speed now: the tariff's applies again."""
    _own("login", login)
    with transaction.atomic():
        login = _locked(login)
        if login.temp_speed_until is None:
            return login
        _set(login, actor=actor, temp_download_kbps=None, temp_upload_kbps=None,
             temp_speed_until=None)
        action_log(actor=staff_of(actor), customer=login.customer, kind="login.temp_speed",
                   message=N_("Temporary speed of login %(login)s ended."),
                   params={"login": login.login})
    return login


def logins_temp_speed_expire(*, now: datetime | None = None) -> int:
    """Clear the temporary speeds that ended (the minute task): the logins get their
    tariff's speed again, pushed to the NAS after commit. Returns how many ended."""
    now = now or timezone.now()
    with transaction.atomic():
        rows = list(Login.objects.select_for_update().filter(temp_speed_until__lte=now)
                    .values_list("pk", "customer_id", "login"))
        if not rows:
            return 0
        Login.objects.filter(pk__in=[pk for pk, _c, _l in rows]).update(
            temp_download_kbps=None, temp_upload_kbps=None, temp_speed_until=None,
            updated_at=now)
        _refresh_many([pk for pk, _c, _l in rows])
        action_log_bulk(actor=None, kind="login.temp_speed", entries=[
            (customer_id, N_("Temporary speed of login %(login)s ended."), {"login": name})
            for _pk, customer_id, name in rows])
    return len(rows)
