"""A CDR file rated by hand, and the tariffs' subtariff scripts."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.forms import form_write
from core.views import staff_view

from .. import cdr, services
from ..forms_staff import CdrUploadForm, TariffScriptForm
from ..models import TariffScript
from ..script import VARIABLES
from . import selectors
from .common import query_rest

# Unknown phones' call ids shown after an upload; the rest are counted.
UNKNOWN_SHOWN = 20


@staff_view("voip.add_call")
@require_http_methods(["GET", "POST"])
def cdr_upload(request):
    """A Master.csv file: parsed whole (a bad line refuses the file, with its number),
    then rated as the import from Asterisk rates (a call already rated is skipped)."""
    form = CdrUploadForm(request.POST or None, request.FILES or None, auto_id="cdr_%s")
    result = None
    if request.method == "POST":
        result = form_write(form, lambda data: _rate(request, data["file"]))
    return render(request, "voip/staff/cdr_upload.html", {
        "form": form, "result": result,
        "unknown_shown": result.unknown_phone[:UNKNOWN_SHOWN] if result else [],
    }, status=400 if form.errors else 200)


def _rate(request, data: bytes):
    try:
        cdrs = cdr.cdr_file_parse(data)
    except cdr.CdrFileError as error:
        raise ValidationError({"file": [_("The file was refused, nothing was rated: "
                                          "%(error)s.") % {"error": error}]}) from None
    if not cdrs:
        raise ValidationError({"file": [_("The file holds no CDR.")]})
    return cdr.calls_rate(tenant=request.tenant, cdrs=cdrs)


@staff_view("voip.view_tariffscript")
@require_GET
def script_list(request):
    """Tariffs and their subtariff scripts (searched by the tariff's name, paged)."""
    query = (request.GET.get("q") or "").strip()[:100]
    page = selectors.tariff_script_page(query=query,
                                        page=selectors.page_number(request.GET.get("page")))
    return render(request, "voip/staff/scripts.html", {
        "page": page, "query": query, "extra": query_rest(q=query)
    })


@staff_view("voip.change_tariffscript")
@require_http_methods(["GET", "POST"])
def script_edit(request, tariff_id):
    """A tariff's script: refused with the line and column of what is wrong, nothing
    saved; the values it gives the phone form shown."""
    from finance.models import Tariff

    tariff = get_object_or_404(Tariff, pk=tariff_id)
    script = TariffScript.objects.filter(tariff=tariff).first()
    form = TariffScriptForm(request.POST or None, initial={"text": script.text if script else ""},
                            auto_id="script_%s")
    if request.method == "POST" and form_write(form, lambda data: services.tariff_script_set(
            actor=request.user, tariff=tariff, text=data["text"])):
        messages.success(request, _("The subtariff script of %(t)s saved.") % {"t": tariff.name})
        return redirect("voip:script_edit", tariff_id=tariff.pk)
    return render(request, "voip/staff/script_edit.html", {
        "form": form, "tariff": tariff, "script": script,
        "values": _values(tariff) if script and not form.errors else [],
        "variables": VARIABLES.values(),
    }, status=400 if form.errors else 200)


def _values(tariff) -> list[tuple[str, object]]:
    """What the saved script gives the phone form, by the script's names."""
    from ..script import ScriptError

    try:
        given = services.phone_defaults(tariff)
    except ScriptError:  # saved before the grammar changed: the form shows the error
        return []
    return [(v.name, given[v.key]) for v in VARIABLES.values() if v.key in given]
