"""Deleting a login, a NAS or an IP pool: allowed where nothing depends on it, otherwise
refused with a sentence naming what does.

What depends, and what is decided about it:

* a **login** online (an open accounting session) is refused: disable it first, which
  disconnects the session, and delete it once the session has ended. Its closed sessions
  — the connection history, kept for the retention the law asks of an ISP — stay,
  detached (``RadiusSession.login`` becomes NULL; the user name, NAS, addresses and
  counters remain). Its authorization events, reloads, photos (their files after commit)
  and extra attributes go with it;
* a **NAS** still allowed for logins, or with open sessions, is refused; the closed
  sessions keep its IP address (``nas_ip``) and lose the link;
* an **IP pool** still given to logins is refused (``Login.pool`` is PROTECT as well).

Each refusal is a ``ValidationError`` without a field (the API answers it as a 400 with
the sentence as ``detail``); each deletion is in the action log. ``*_delete_refusal``
is the one rule, read by the confirmation pages too.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from django.utils.translation import ngettext

from core.actionlog import action_log, staff_of

from ..models import IpPool, Login, LoginPhoto, Nas, RadiusSession
from .base import _own

# How many names a refusal lists before "and N more".
NAMES_SHOWN = 5


def _names(names: list[str], total: int) -> str:
    """``jan, ewa, piotr`` or ``jan, ewa, piotr, … and 7 more``."""
    text = ", ".join(names[:NAMES_SHOWN])
    if total > NAMES_SHOWN:
        text += " " + ngettext("and %(count)s more", "and %(count)s more",
                               total - NAMES_SHOWN) % {"count": total - NAMES_SHOWN}
    return text


def _at(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


# --------------------------------------------------------------------------- login

def login_delete_refusal(login: Login) -> str | None:
    """Why ``login`` cannot be deleted now, or None: it is online."""
    session = (RadiusSession.objects.filter(login=login, stopped_at__isnull=True)
               .select_related("nas").order_by("-started_at").first())
    if session is None:
        return None
    return _("Login %(login)s is online (NAS %(nas)s, since %(since)s): disable it first, "
             "which ends the session, then delete it.") % {
        "login": login.login, "nas": session.nas.name if session.nas else session.nas_ip,
        "since": _at(session.started_at)}


def login_delete(*, actor, login: Login) -> None:
    """Delete ``login`` unless it is online (``login_delete_refusal``); its connection
    history stays, detached. Locks the login; its photos' files are removed after commit.
    """
    _own("login", login)
    with transaction.atomic():
        login = Login.objects.select_for_update(of=("self",)).select_related(
            "customer").get(pk=login.pk)
        refusal = login_delete_refusal(login)
        if refusal:
            raise ValidationError(refusal)
        files = [photo.image for photo in LoginPhoto.objects.filter(login=login)]
        customer, name, ip = login.customer, login.login, login.ip
        login.delete()
        action_log(actor=staff_of(actor), customer=customer, kind="login.delete",
                   message=N_("Login %(login)s deleted (IP %(ip)s); its connection history "
                              "is kept."),
                   params={"login": name, "ip": ip or "-"})
        transaction.on_commit(lambda: [image.delete(save=False) for image in files])


# --------------------------------------------------------------------------- NAS

def nas_delete_refusal(nas: Nas) -> str | None:
    """Why ``nas`` cannot be deleted now, or None: logins are allowed on it only, or
    sessions on it are open."""
    logins = Login.objects.filter(nases=nas).order_by("login")
    count = logins.count()
    if count:
        names = list(logins.values_list("login", flat=True)[:NAMES_SHOWN])
        return ngettext(
            "NAS “%(nas)s” is used by %(count)s login: %(logins)s. Take it off the login "
            "first.",
            "NAS “%(nas)s” is used by %(count)s logins: %(logins)s. Take it off the logins "
            "first.", count) % {"nas": nas.name, "count": count,
                                "logins": _names(names, count)}
    sessions = RadiusSession.objects.filter(nas=nas, stopped_at__isnull=True)
    count = sessions.count()
    if count:
        names = list(sessions.order_by("username").values_list("username", flat=True)
                     [:NAMES_SHOWN])
        return ngettext(
            "NAS “%(nas)s” has %(count)s open session: %(users)s. Delete it when the "
            "session has ended.",
            "NAS “%(nas)s” has %(count)s open sessions: %(users)s. Delete it when the "
            "sessions have ended.", count) % {"nas": nas.name, "count": count,
                                              "users": _names(names, count)}
    return None


def nas_delete(*, actor, nas: Nas) -> None:
    """Delete ``nas`` unless logins or open sessions depend on it (``nas_delete_refusal``);
    its closed sessions keep its address. Locks the NAS row."""
    _own("nas", nas)
    with transaction.atomic():
        nas = Nas.objects.select_for_update().get(pk=nas.pk)
        refusal = nas_delete_refusal(nas)
        if refusal:
            raise ValidationError(refusal)
        text = str(nas)
        nas.delete()
        action_log(actor=staff_of(actor), kind="nas.delete",
                   message=N_("NAS %(nas)s deleted."), params={"nas": text})


# --------------------------------------------------------------------------- pools

def pool_delete_refusal(pool: IpPool) -> str | None:
    """Why ``pool`` cannot be deleted now, or None: logins have it as their pool."""
    logins = Login.objects.filter(pool=pool).order_by("login")
    count = logins.count()
    if not count:
        return None
    names = list(logins.values_list("login", flat=True)[:NAMES_SHOWN])
    return ngettext(
        "Pool “%(pool)s” is used by %(count)s login: %(logins)s. Move it to another pool "
        "first.",
        "Pool “%(pool)s” is used by %(count)s logins: %(logins)s. Move them to another "
        "pool first.", count) % {"pool": pool.name, "count": count,
                                 "logins": _names(names, count)}


def pool_delete(*, actor, pool: IpPool) -> None:
    """Delete ``pool`` unless logins have it (``pool_delete_refusal``). Locks the pool row,
    as ``login_create`` does while it picks an address from it."""
    _own("pool", pool)
    with transaction.atomic():
        pool = IpPool.objects.select_for_update().get(pk=pool.pk)
        refusal = pool_delete_refusal(pool)
        if refusal:
            raise ValidationError(refusal)
        text = str(pool)
        try:
            with transaction.atomic():
                pool.delete()
        except ProtectedError:  # a login given the pool without its lock meanwhile
            raise ValidationError(pool_delete_refusal(pool)) from None
        action_log(actor=staff_of(actor), kind="pool.delete",
                   message=N_("IP pool %(pool)s deleted."), params={"pool": text})
