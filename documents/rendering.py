"""The documents engine: a sandboxed template, a PDF with a barcode on every page.

Sandbox. Templates are written by tenant admins, so they are rendered by a separate
template ``Engine`` that knows no template files (``{% include %}``/``{% extends %}`` find
nothing), no tag libraries (``{% load %}`` fails), and gets only plain dicts and strings
built by ``document_context``: there is no model instance to walk from
(``{{ customer.tenant.users }}`` renders nothing). WeasyPrint's URL fetcher accepts only
``data:`` URLs, so neither files nor the network can be reached from HTML or CSS.
"""

import base64
import io
from dataclasses import dataclass

from django.template import Context, Engine, TemplateDoesNotExist, TemplateSyntaxError
from django.utils.formats import date_format
from django.utils.translation import gettext as _

SANDBOX = Engine(
    dirs=[],
    app_dirs=False,
    loaders=[("django.template.loaders.locmem.Loader", {})],
    libraries={},
    debug=True,  # errors carry the template line
    string_if_invalid="",
    autoescape=True,
)

MAX_TEMPLATE_CHARS = 200_000


@dataclass
class TemplateError(Exception):
    """A template that cannot be rendered; ``line`` is 1-based, when known."""

    message: str
    line: int | None = None

    def __str__(self):
        if self.line:
            return _("Line %(line)s: %(message)s") % {"line": self.line, "message": self.message}
        return self.message


def _address(address) -> dict:
    if address is None:
        return {}
    return {"street": address.street, "building_no": address.building_no,
            "apartment_no": address.apartment_no, "postal_code": address.postal_code,
            "city": address.city, "country": address.country, "text": str(address)}


def document_context(*, tenant, customer, addresses, phones, emails, number: str,
                     document_type_label: str, issued_on, parent_number: str = "",
                     subscriptions=()) -> dict:
    """Everything a template may use (documented on the template editor page).

    ``phones`` are E.164 strings, ``emails`` strings, ``addresses`` Address rows,
    ``subscriptions`` dicts of the customer's tariffs (``finance.billing.contract_subscriptions``).
    """
    from customers.validators import format_account, format_phone

    by_kind = {}
    for address in addresses:
        by_kind.setdefault(address.kind, []).append(address)
    return {
        "tenant": {"name": tenant.name, "nip": tenant.nip},
        "customer": {
            "number": customer.number, "kind": customer.kind, "name": customer.display_name,
            "first_name": customer.first_name, "last_name": customer.last_name,
            "company_name": customer.company_name, "pesel": customer.pesel,
            "nip": customer.nip, "regon": customer.regon,
            "id_document": customer.id_document_number,
            "spouse_name": f"{customer.spouse_first_name} {customer.spouse_last_name}".strip(),
            "status": customer.get_status_display(),
            "account": format_account(customer.virtual_account)
            if customer.virtual_account else "",
        },
        "addresses": {
            "residence": _address((by_kind.get("residence") or [None])[0]),
            "correspondence": _address((by_kind.get("correspondence") or [None])[0]),
            "installation": [_address(a) for a in by_kind.get("installation", [])],
        },
        "contacts": {
            "phones": [format_phone(p) for p in phones],
            "emails": list(emails),
        },
        "document": {
            "number": number, "type": document_type_label,
            "date": date_format(issued_on, "j E Y"), "date_iso": issued_on.isoformat(),
            "parent_number": parent_number,
        },
        "subscriptions": list(subscriptions),
    }


def render_html(body: str, context: dict) -> str:
    """Render a template body in the sandbox; raises ``TemplateError``."""
    if len(body) > MAX_TEMPLATE_CHARS:
        raise TemplateError(_("The template is too long."))
    try:
        template = SANDBOX.from_string(body)
        return template.render(Context(context, autoescape=True))
    except TemplateSyntaxError as e:
        raise TemplateError(str(e), _line(e)) from None
    except TemplateDoesNotExist as e:
        raise TemplateError(_("Templates cannot include other files (%(name)s).")
                            % {"name": e}, _line(e)) from None
    except Exception as e:  # any other failure of an admin's template
        raise TemplateError(str(e) or type(e).__name__, _line(e)) from None


def _line(error) -> int | None:
    debug = getattr(error, "template_debug", None)
    return debug.get("line") if debug else None


def barcode_svg(code: str) -> bytes:
    import barcode
    from barcode.writer import SVGWriter

    buffer = io.BytesIO()
    barcode.Code128(code, writer=SVGWriter()).write(
        buffer, options={"write_text": False, "module_width": 0.33, "module_height": 10.0,
                         "quiet_zone": 3.0})
    return buffer.getvalue()


PAGE_CSS = """
@page { size: A4; margin: 18mm 18mm 30mm 18mm;
        @bottom-center { content: element(abonent-footer); } }
.abonent-footer { position: running(abonent-footer); display: flex !important;
                  align-items: center; gap: 6mm; font: 9pt sans-serif; }
.abonent-footer img { height: 12mm; }
.abonent-footer span { white-space: nowrap; }
body { font-family: "DejaVu Sans", sans-serif; font-size: 10.5pt; }
"""


def render_pdf(*, html_body: str, css: str, number: str, code: str) -> bytes:
    """A4 PDF; every page's footer has the Code 128 of ``code`` and the number beside it.

    WeasyPrint is imported here: it needs Pango from the system, and nothing else does.
    """
    try:
        import weasyprint
    except OSError as e:  # the system library is missing
        raise RuntimeError("PDF rendering needs Pango: apt-get install libpango-1.0-0 "
                           f"libpangoft2-1.0-0 fonts-dejavu-core ({e})") from e

    svg = base64.b64encode(barcode_svg(code)).decode()
    html = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<style>{PAGE_CSS}</style><style>{css}</style></head><body>"
        f"<div class='abonent-footer'><img src='data:image/svg+xml;base64,{svg}' alt=''>"
        f"<span>{_escape(number)}</span></div>{html_body}</body></html>"
    )
    fetcher = weasyprint.URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
    return weasyprint.HTML(string=html, url_fetcher=fetcher, base_url=None).write_pdf()


def _escape(text: str) -> str:
    from django.utils.html import escape

    return escape(text)


def merge_pdfs(parts) -> bytes:
    """One PDF of several: each part is PDF bytes or an image (jpg/png) file's bytes."""
    from PIL import Image
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for data in parts:
        if not data.startswith(b"%PDF"):
            image = Image.open(io.BytesIO(data)).convert("RGB")
            converted = io.BytesIO()
            image.save(converted, format="PDF", resolution=150)
            data = converted.getvalue()
        for page in PdfReader(io.BytesIO(data)).pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
