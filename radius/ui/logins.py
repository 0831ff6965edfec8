"""The login's window ("Informacje o loginie"): one page with tabs, each a link
(``?tab=``), so only the shown tab is read: management (the edit form), current session,
statistics (SVG charts), connection history, parameters in the database, notes, photos."""

import filetype
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.forms import form_write
from core.views import staff_view

from .. import selectors, services
from ..attributes import reply_for_nas
from ..forms import DisableForm, NotesForm, PhotoForm
from ..models import Login, LoginPhoto
from .card import login_form, login_or_404, save_login
from .charts import speed_text, traffic_chart

TABS = [
    ("manage", gettext_lazy("Management")),
    ("session", gettext_lazy("Current session")),
    ("stats", gettext_lazy("Statistics")),
    ("history", gettext_lazy("Connection history")),
    ("params", gettext_lazy("Parameters in the database")),
    ("notes", gettext_lazy("Notes")),
    ("photos", gettext_lazy("Photos")),
]
PERIODS = [("day", gettext_lazy("day")), ("week", gettext_lazy("week")),
           ("month", gettext_lazy("month")), ("year", gettext_lazy("year"))]


def _page_number(value) -> int:
    try:
        return max(int(value), 1)
    except (TypeError, ValueError):
        return 1


def _snapshot_rows(reply: dict) -> list[dict]:
    """``{"reply:Name": {"op", "value": [...]}}`` as table rows, one per value."""
    rows = []
    for key, entry in sorted(reply.items()):
        values = entry.get("value") if isinstance(entry, dict) else entry
        for value in values if isinstance(values, list) else [values]:
            rows.append({"list": key.split(":", 1)[0] if ":" in key else "reply",
                         "attribute": key.split(":", 1)[-1],
                         "op": entry.get("op", ":=") if isinstance(entry, dict) else ":=",
                         "value": value})
    return rows


def _tab_context(request, login: Login, tab: str) -> dict:
    if tab == "session":
        session = selectors.login_open_session(login_id=login.pk)
        speed = selectors.session_last_speed(session=session) if session else None
        return {"session": session, "speed": speed and {
            "download": speed_text(speed["download_bps"]),
            "upload": speed_text(speed["upload_bps"]), "at": speed["at"]}}
    if tab == "stats":
        period = request.GET.get("period")
        period = period if period in selectors.TRAFFIC_PERIODS else "day"
        rows = selectors.login_traffic(login_id=login.pk, period=period)
        return {"period": period, "periods": PERIODS,
                "charts": traffic_chart(rows, period=period),
                "total_down": sum(r["download_bytes"] for r in rows),
                "total_up": sum(r["upload_bytes"] for r in rows)}
    if tab == "history":
        return {
            "sessions": selectors.session_page(login_id=login.pk,
                                               page=_page_number(request.GET.get("page"))),
            "events": selectors.auth_event_page(login_id=login.pk,
                                                page=_page_number(request.GET.get("epage"))),
        }
    if tab == "params":
        snapshot = login.radius_snapshot or {}
        kinds = sorted(set(snapshot.get("by_kind") or {}))
        return {
            "common_rows": _snapshot_rows(snapshot.get("reply") or {}),
            "kind_tables": [{"kind": kind, "rows": _snapshot_rows(reply_for_nas(snapshot, kind))}
                            for kind in kinds],
            "nas_ips": snapshot.get("nas_ips") or [],
        }
    if tab == "photos":
        photos = list(selectors.login_photo_list(login_id=login.pk))
        for photo in photos:
            photo.display_name = photo.image.name.rsplit("/", 1)[-1].split("-", 1)[-1]
        return {"photos": photos}
    return {}


def render_window(request, login: Login, tab: str, *, forms=None, status=200):
    context = {"login": login, "customer": login.customer, "tab": tab, "tabs": TABS,
               **_tab_context(request, login, tab)}
    forms = forms or {}
    if tab == "manage":
        if "form" not in forms:
            forms["form"], forms["formset"] = login_form(login.customer, login=login)
    elif tab == "notes":
        forms.setdefault("notes_form", NotesForm(initial={"notes": login.notes},
                                                 auto_id="notes_%s"))
    elif tab == "photos":
        forms.setdefault("photo_form", PhotoForm(auto_id="photo_%s"))
    context.update(forms)
    context["disable_form"] = DisableForm(auto_id="disable_%s")
    return render(request, "radius/login.html", context, status=status)


def window_url(login: Login, tab: str = "manage") -> str:
    return f"{reverse('radius:login', kwargs={'login_id': login.pk})}?tab={tab}"


@staff_view("radius.view_login")
@require_GET
def login_window(request, login_id):
    login = login_or_404(login_id)
    tab = request.GET.get("tab")
    tab = tab if tab in dict(TABS) else "manage"
    return render_window(request, login, tab)


@staff_view("radius.change_login")
@require_POST
def login_edit(request, login_id):
    """"Zarządzanie": the form of the management tab."""
    login = login_or_404(login_id)
    form, formset = login_form(login.customer, request.POST, login=login)
    if save_login(form, formset, lambda kwargs: services.login_update(
            actor=request.user, login=login, **kwargs)):
        messages.success(request, _("Login %(login)s saved.") % {"login": login.login})
        return redirect(window_url(login))
    login = login_or_404(login_id)  # the refused values must not show as saved
    return render_window(request, login, "manage", forms={"form": form, "formset": formset},
                         status=400)


def _call(request, login, tab, call, message):
    """A write without a form on the window: refused writes show as an error message."""
    try:
        call()
    except ValidationError as e:
        for text in e.messages:
            messages.error(request, text)
    else:
        messages.success(request, message)
    return redirect(window_url(login, tab))


@staff_view("radius.change_login")
@require_POST
def login_notes(request, login_id):
    login = login_or_404(login_id)
    form = NotesForm(request.POST, auto_id="notes_%s")
    if form_write(form, lambda data: services.login_update(
            actor=request.user, login=login, notes=data["notes"])):
        messages.success(request, _("Notes saved."))
        return redirect(window_url(login, "notes"))
    return render_window(request, login, "notes", forms={"notes_form": form}, status=400)


@staff_view("radius.change_login")
@require_POST
def login_reservation(request, login_id):
    """"Rezerwacja IP": reserve the login's address (out of its pool) or release it."""
    login = login_or_404(login_id)
    reserve = not login.ip_reserved
    return _call(request, login, "manage",
                 lambda: services.login_update(actor=request.user, login=login,
                                               ip_reserved=reserve),
                 _("IP address %(ip)s reserved.") % {"ip": login.ip or "-"} if reserve
                 else _("Reservation of %(ip)s released.") % {"ip": login.ip or "-"})


@staff_view("radius.change_login")
@require_POST
def login_enable(request, login_id):
    login = login_or_404(login_id)
    return _call(request, login, "manage",
                 lambda: services.login_enable(actor=request.user, login=login),
                 _("Login %(login)s enabled.") % {"login": login.login})


# --------------------------------------------------------------------------- photos

@staff_view("radius.add_loginphoto")
@require_POST
def photo_add(request, login_id):
    login = login_or_404(login_id)
    form = PhotoForm(request.POST, request.FILES, auto_id="photo_%s")
    if form_write(form, lambda data: services.login_photo_add(
            actor=request.user, login=login, uploaded_file=data["file"],
            description=data["description"])):
        messages.success(request, _("Photo added."))
        return redirect(window_url(login, "photos"))
    return render_window(request, login, "photos", forms={"photo_form": form}, status=400)


def _photo_or_404(login_id, photo_id) -> LoginPhoto:
    return get_object_or_404(LoginPhoto.objects.select_related("login__customer"),
                             pk=photo_id, login_id=login_id)


@staff_view("radius.view_loginphoto")
@require_GET
def photo_view(request, login_id, loginphoto_id):
    """The photo itself, shown in the browser with the type its content has."""
    photo = _photo_or_404(login_id, loginphoto_id)
    try:
        handle = photo.image.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    kind = filetype.guess(handle.read(262))
    handle.seek(0)
    return FileResponse(handle, content_type=kind.mime if kind else "application/octet-stream")


@staff_view("radius.delete_loginphoto")
@require_POST
def photo_remove(request, login_id, loginphoto_id):
    photo = _photo_or_404(login_id, loginphoto_id)
    return _call(request, photo.login, "photos",
                 lambda: services.login_photo_remove(actor=request.user, photo=photo),
                 _("Photo deleted."))
