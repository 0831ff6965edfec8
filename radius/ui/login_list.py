"""The tenant's logins in one list ("Loginy"): who is online, who is blocked and why, by
NAS, pool and tariff, with a text search; paged, and exported as CSV or XLSX with the same
filters.

Other pages link here with the filters in the query string — the home page's "logins
blocked today" is ``?blocked=1&blocked_since=today``, its failed reloads
``?reload_failed=1``, a NAS's online logins ``?online=1&nas=<id>``:

- ``q``: part of the login, its IP address or network ("10.0.1"), the start of its MAC
  address, or the customer's name,
  number, phone... (the customer search's terms);
- ``online``: 1 with an open session, 0 without;
- ``blocked``: 1 blocked (by staff or for debt), 0 not, ``staff`` or ``debt`` by whom;
- ``blocked_since``: ``today`` (also ``dziś``) or a date (2026-12-03): blocked, and the
  block recorded in the action log on or after that day;
- ``reload_failed``: 1 when the last forced reload was refused or not answered;
- ``nas``, ``pool``, ``tariff``: ids; a login belongs to a NAS it is bound to or whose
  session is open on it.
"""

import codecs
import csv
import io
from datetime import datetime, time

from django import forms
from django.db.models import Exists, OuterRef, Q
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from core.models import ActionLog
from core.paging import SlicePage
from core.spreadsheet import formula_defused
from core.views import staff_view
from customers.selectors import normalize_query
from finance.models import Tariff

from ..models import IpPool, Login, Nas, RadiusSession
from ..search import ip_query, mac_query

PER_PAGE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The action log's kinds of a block (radius.services.states).
BLOCK_KINDS = ("login.block", "login.debt_block")


class LoginListFilter(forms.Form):
    q = forms.CharField(required=False, max_length=100, label=gettext_lazy("Search"))
    online = forms.ChoiceField(required=False, label=gettext_lazy("Online"), choices=[
        ("", gettext_lazy("online or not")), ("1", gettext_lazy("online")),
        ("0", gettext_lazy("offline"))])
    blocked = forms.ChoiceField(required=False, label=gettext_lazy("Blocked"), choices=[
        ("", gettext_lazy("blocked or not")), ("1", gettext_lazy("blocked")),
        ("staff", gettext_lazy("blocked by staff")), ("debt", gettext_lazy("blocked for debt")),
        ("0", gettext_lazy("not blocked"))])
    blocked_since = forms.CharField(required=False, label=gettext_lazy("Blocked since"))
    reload_failed = forms.BooleanField(required=False,
                                       label=gettext_lazy("Last reload failed"))
    nas = forms.ModelChoiceField(queryset=Nas.all_tenants.none(), required=False,
                                 label=gettext_lazy("NAS"),
                                 empty_label=gettext_lazy("any NAS"))
    pool = forms.ModelChoiceField(queryset=IpPool.all_tenants.none(), required=False,
                                  label=gettext_lazy("IP pool"),
                                  empty_label=gettext_lazy("any pool"))
    tariff = forms.ModelChoiceField(queryset=Tariff.all_tenants.none(), required=False,
                                    label=gettext_lazy("Tariff"),
                                    empty_label=gettext_lazy("any tariff"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Built per request, inside the tenant: another tenant's id is "not a choice".
        self.fields["nas"].queryset = Nas.objects.order_by("name")
        self.fields["pool"].queryset = IpPool.objects.order_by("name")
        self.fields["tariff"].queryset = Tariff.objects.order_by("name")
        for name in ("online", "blocked", "nas", "pool", "tariff"):
            self.fields[name].widget.attrs["class"] = "form-select form-select-sm"

    def clean_blocked_since(self):
        value = self.cleaned_data["blocked_since"].strip()
        if not value:
            return None
        if value.lower() in ("today", "dziś", "dzis", "dzisiaj"):
            return timezone.localdate()
        try:
            day = datetime.strptime(value, "%Y-%m-%d").date()
        except ValueError:
            day = None
        # Year 1 would overflow when moved to UTC; no block is older than the 1990s.
        if day is None or day.year < 1900:
            raise forms.ValidationError(_("Give “today” or a date such as 2026-12-03."))
        return day


# --------------------------------------------------------------------------- selectors

def login_table_list(*, q: str = "", online: str = "", blocked: str = "", blocked_since=None,
                     reload_failed: bool = False, nas=None, pool=None, tariff=None):
    """The active tenant's logins matching the filters (``LoginListFilter``), by login,
    with their customer, installation address, pool and tariff joined and ``online``."""
    open_session = RadiusSession.objects.filter(login_id=OuterRef("pk"), stopped_at__isnull=True)
    logins = (Login.objects.select_related("customer", "installation_address", "pool",
                                           "subscription__tariff")
              .defer("customer__search_text", "radius_snapshot", "password", "notes")
              .annotate(online=Exists(open_session)).order_by("login", "id"))
    q = (q or "").strip()
    if q:
        text = Q(login__icontains=q)
        ip = ip_query(q)
        if ip is not None:
            text |= Q(ip__gte=ip[0], ip__lte=ip[1])
        mac = mac_query(q)
        if mac is not None:
            text |= Q(mac__startswith=mac)
        terms = normalize_query(q)
        if terms:
            by_customer = Q()
            for term in terms:
                by_customer &= Q(customer__search_text__contains=term)
            text |= by_customer
        logins = logins.filter(text)
    if online == "1":
        logins = logins.filter(online=True)
    elif online == "0":
        logins = logins.filter(online=False)
    if blocked == "1" or blocked_since:
        logins = logins.exclude(block=Login.Block.NONE)
    if blocked in (Login.Block.STAFF, Login.Block.DEBT):
        logins = logins.filter(block=blocked)
    elif blocked == "0":
        logins = logins.filter(block=Login.Block.NONE)
    if blocked_since:
        start = timezone.make_aware(datetime.combine(blocked_since, time.min))
        logins = logins.filter(Exists(ActionLog.objects.filter(
            customer_id=OuterRef("customer_id"), kind__in=BLOCK_KINDS, at__gte=start)))
    if reload_failed:
        logins = logins.filter(reload_status__in=[Login.ReloadStatus.NAK,
                                                  Login.ReloadStatus.TIMEOUT])
    if nas is not None:
        logins = logins.filter(
            Q(Exists(Login.nases.through.objects.filter(login_id=OuterRef("pk"), nas=nas)))
            | Q(Exists(RadiusSession.objects.filter(login_id=OuterRef("pk"),
                                                    stopped_at__isnull=True, nas=nas))))
    if pool is not None:
        logins = logins.filter(pool=pool)
    if tariff is not None:
        logins = logins.filter(subscription__tariff=tariff)
    return logins


def login_table_rows(logins: list[Login]) -> list[Login]:
    """``logins`` (already read) with ``session`` (the latest open one, its NAS joined, or
    None) and ``nas_names`` (the NAS it is online on, else those it is bound to). Two
    queries, whatever the number of rows."""
    ids = [login.pk for login in logins]
    sessions = {}
    bound: dict[int, list[str]] = {}
    if ids:
        for session in (RadiusSession.objects.filter(login_id__in=ids, stopped_at__isnull=True)
                        .select_related("nas").only("login_id", "started_at", "nas__name",
                                                    "nas_ip")
                        .order_by("started_at")):
            sessions[session.login_id] = session  # the latest wins
        for link in (Login.nases.through.objects.filter(login_id__in=ids)
                     .select_related("nas").order_by("nas__name")):
            bound.setdefault(link.login_id, []).append(link.nas.name)
    for login in logins:
        login.session = sessions.get(login.pk)
        if login.session is not None:
            login.nas_names = [login.session.nas.name if login.session.nas
                               else login.session.nas_ip]
        else:
            login.nas_names = bound.get(login.pk, [])
    return logins


def login_table_page(*, page: int = 1, per_page: int = PER_PAGE, **filters) -> SlicePage:
    """One page of ``login_table_list``; three queries (the page, open sessions, NAS)."""
    page = max(page, 1)
    offset = (page - 1) * per_page
    rows = list(login_table_list(**filters)[offset:offset + per_page + 1])
    return SlicePage(rows=login_table_rows(rows[:per_page]), number=page,
                     has_next=len(rows) > per_page)


def login_table_export_rows(**filters):
    """Every login of ``login_table_list`` as a row of the export (header first), read in
    chunks of 2,000 (three queries a chunk)."""
    yield [_("Login"), _("Customer number"), _("Customer"), _("Address"), _("IP address"),
           _("MAC address"), _("NAS"), _("IP pool"), _("Tariff"), _("Online"), _("Blocked"),
           _("Reason for the block")]
    logins = login_table_list(**filters)
    chunk = []
    for login in logins.iterator(chunk_size=2000):
        chunk.append(login)
        if len(chunk) == 2000:
            yield from _export_chunk(chunk)
            chunk = []
    yield from _export_chunk(chunk)


def _export_chunk(logins):
    for login in login_table_rows(logins):
        subscription = login.subscription
        yield [login.login, login.customer.number, login.customer.display_name,
               str(login.installation_address or ""), login.ip or "", login.mac,
               ", ".join(login.nas_names), login.pool.name if login.pool else "",
               subscription.tariff.name if subscription and subscription.tariff else "",
               _("yes") if login.online else _("no"),
               login.get_block_display() if login.block else "", login.block_reason]


# --------------------------------------------------------------------------- views

def _filters(request) -> tuple[LoginListFilter, dict | None]:
    form = LoginListFilter(request.GET)
    if not form.is_valid():
        return form, None
    return form, {name: form.cleaned_data[name] for name in form.fields}


@staff_view("radius.view_login")
@require_GET
def login_list(request):
    form, filters = _filters(request)
    try:
        number = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        number = 1
    page = login_table_page(page=number, **filters) if filters is not None else None
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "radius/login_list.html", {
        "form": form, "page": page, "query_string": query.urlencode(),
        "extra": "&" + query.urlencode() if query else "",
    }, status=200 if filters is not None else 400)


@staff_view("radius.view_login")
@require_GET
def login_list_export(request):
    """The filtered list as ``?format=csv`` (UTF-8 with a BOM, ``;``, as Excel with Polish
    settings reads it) or ``?format=xlsx``."""
    form, filters = _filters(request)
    fmt = request.GET.get("format", "csv")
    if filters is None or fmt not in ("csv", "xlsx"):
        return render(request, "radius/login_list.html",
                      {"form": form, "page": None, "query_string": "", "extra": ""},
                      status=400)
    rows = login_table_export_rows(**filters)
    stamp = timezone.localdate().isoformat()
    if fmt == "csv":
        response = HttpResponse(_csv(rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(_xlsx(rows), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="logins-{stamp}.{fmt}"'
    return response


def _text(value) -> str:
    text = "" if value is None else str(value)
    return formula_defused(text)


def _csv(rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    for row in rows:
        writer.writerow([_text(value) for value in row])
    return codecs.BOM_UTF8 + out.getvalue().encode()


def _xlsx(rows) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Logins"))
    header = True
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text, never a formula
            if header:
                cell.font = Font(bold=True)
            cells.append(cell)
        sheet.append(cells)
        header = False
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
