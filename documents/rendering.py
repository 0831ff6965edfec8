"""The documents engine: a sandboxed template, a PDF with a barcode on every page.

Sandbox. Templates are written by tenant admins, so they are rendered by a separate
template ``Engine`` that knows no template files (``{% include %}``/``{% extends %}`` find
nothing), no tag libraries (``{% load %}`` fails), and gets only plain dicts and strings
built by ``document_context``: there is no model instance to walk from
(``{{ customer.tenant.users }}`` renders nothing). WeasyPrint's URL fetcher accepts only
``data:`` URLs, so neither files nor the network can be reached from HTML or CSS.

Bounds. A template may still try to run for ever (loops nested in loops) or to lay out
thousands of pages. A ``RenderBudget`` is active for one render: the template context
checks its deadline on every variable lookup and loop step (``BudgetContext``) — so a
runaway loop is stopped, not only measured — and layout checks it with the page count
as each page is made (``_bounded_pages``). ``DOCUMENT_RENDER_SECONDS`` and
``DOCUMENT_MAX_PAGES`` are the limits; passing one raises ``RenderLimitExceeded``, whose
message names it. Widths in filters (``ljust:1000000000``) and single values longer than
``MAX_VALUE_CHARS`` are refused too: they would fill memory in one step.
"""

import base64
import io
import time
import warnings
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.template import Context, Engine, TemplateDoesNotExist, TemplateSyntaxError
from django.utils.formats import date_format
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

SANDBOX = Engine(
    dirs=[],
    app_dirs=False,
    loaders=[("django.template.loaders.locmem.Loader", {})],
    libraries={},
    builtins=["documents.sandbox_filters"],  # bounded widths over Django's own filters
    debug=True,  # errors carry the template line
    string_if_invalid="",
    autoescape=True,
)

MAX_TEMPLATE_CHARS = 200_000
MAX_VALUE_CHARS = 200_000  # one value a template computes (a string doubled and doubled)
MAX_HTML_CHARS = 5_000_000


@dataclass
class TemplateError(Exception):
    """A template that cannot be rendered; ``line`` is 1-based, when known."""

    message: str
    line: int | None = None

    def __str__(self):
        if self.line:
            return _("Line %(line)s: %(message)s") % {"line": self.line, "message": self.message}
        return str(self.message)


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


class RenderLimitExceeded(TemplateError):
    """A render passed ``DOCUMENT_RENDER_SECONDS`` or ``DOCUMENT_MAX_PAGES``."""


def _when_shown(text: str, **params):
    """A message translated when it is shown, not when it is raised: documents render in
    their own language (Polish), the error is read in the viewer's."""
    return lazy(lambda: _(text) % params, str)()


@dataclass
class RenderBudget:
    """The limits of one render (template and layout): a deadline and a page count."""

    seconds: float
    max_pages: int
    deadline: float = 0.0
    steps: int = 0

    def __post_init__(self):
        self.deadline = time.monotonic() + self.seconds

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise RenderLimitExceeded(_when_shown(gettext_noop(
                "The document took longer than %(s)s seconds to render and was stopped "
                "(limit DOCUMENT_RENDER_SECONDS). Simplify the template: fewer or smaller "
                "loops."), s=_seconds(self.seconds)))

    def step(self) -> None:
        # The clock is read every 64 steps: cheap enough for every lookup.
        self.steps += 1
        if not self.steps & 0x3F:
            self.check()

    def page(self, number: int) -> None:
        if number > self.max_pages:
            raise RenderLimitExceeded(_when_shown(gettext_noop(
                "The document has more than %(n)s pages and was stopped "
                "(limit DOCUMENT_MAX_PAGES)."), n=self.max_pages))
        self.check()


def _seconds(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


_budget: ContextVar[RenderBudget | None] = ContextVar("render_budget", default=None)


@contextmanager
def render_budget(*, seconds: float | None = None, max_pages: int | None = None):
    """Bound every render inside: the settings' limits unless given. Nested, the outer
    budget stays (one document's template and layout share one deadline)."""
    if _budget.get() is not None:
        yield _budget.get()
        return
    budget = RenderBudget(
        seconds=settings.DOCUMENT_RENDER_SECONDS if seconds is None else seconds,
        max_pages=settings.DOCUMENT_MAX_PAGES if max_pages is None else max_pages)
    token = _budget.set(budget)
    try:
        yield budget
    finally:
        _budget.reset(token)


def _too_long(value) -> bool:
    return isinstance(value, str | list | tuple) and len(value) > MAX_VALUE_CHARS


class BudgetContext(Context):
    """A template context that spends the render budget: every variable lookup and every
    loop variable set (``{% for %}`` sets one per iteration) is a step."""

    def __init__(self, *args, budget: RenderBudget, **kwargs):
        super().__init__(*args, **kwargs)
        self.budget = budget

    def __getitem__(self, key):
        self.budget.step()
        value = super().__getitem__(key)
        if _too_long(value):
            raise TemplateError(_("A value of the template is longer than %(n)s characters.")
                                % {"n": MAX_VALUE_CHARS})
        return value

    def __setitem__(self, key, value):
        self.budget.step()
        super().__setitem__(key, value)

    def update(self, other_dict):  # a loop unpacking ``{% for a, b in … %}``
        self.budget.step()
        return super().update(other_dict)


def render_html(body: str, context: dict, *, autoescape: bool = True) -> str:
    """Render a template body in the sandbox within the active budget (the settings' if
    none is active); raises ``TemplateError`` (``RenderLimitExceeded`` past a limit).
    ``autoescape=False`` for plain text (an SMS, a text e-mail: "&" stays "&")."""
    if len(body) > MAX_TEMPLATE_CHARS:
        raise TemplateError(_("The template is too long."))
    try:
        with render_budget() as budget:
            template = SANDBOX.from_string(body)
            html = template.render(BudgetContext(context, autoescape=autoescape, budget=budget))
            budget.check()
    except RenderLimitExceeded:
        raise
    except TemplateError as e:
        raise TemplateError(e.message, e.line) from None
    except TemplateSyntaxError as e:
        raise TemplateError(str(e), _line(e)) from None
    except TemplateDoesNotExist as e:
        raise TemplateError(_("Templates cannot include other files (%(name)s).")
                            % {"name": e}, _line(e)) from None
    except Exception as e:  # any other failure of an admin's template
        raise TemplateError(str(e) or type(e).__name__, _line(e)) from None
    if len(html) > MAX_HTML_CHARS:
        raise TemplateError(_("The document is longer than %(n)s characters of HTML.")
                            % {"n": MAX_HTML_CHARS})
    return html


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
.abonent-footer img { height: 12mm; display: block; }
.abonent-footer span { white-space: nowrap; }
.abonent-code { display: flex; flex-direction: column; align-items: center; }
.abonent-footer .abonent-code-text { font: 8pt "DejaVu Sans Mono", monospace;
                                     letter-spacing: 0.5pt; }
body { font-family: "DejaVu Sans", sans-serif; font-size: 10.5pt; }
"""


def render_pdf(*, html_body: str, css: str, number: str, code: str) -> bytes:
    """A4 PDF; every page's footer has the Code 128 of ``code``, the code in readable
    form under it (typed at the approval station when the reader fails) and the number
    beside it.

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
        f"<div class='abonent-footer'><div class='abonent-code'>"
        f"<img src='data:image/svg+xml;base64,{svg}' alt=''>"
        f"<span class='abonent-code-text'>{_escape(code)}</span></div>"
        f"<span>{_escape(number)}</span></div>{html_body}</body></html>"
    )
    fetcher = weasyprint.URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
    _bound_layout()
    with render_budget():
        # Past the page limit layout stops at the first page too many (``_bounded_pages``);
        # the count is checked again here in case WeasyPrint lays out some other way.
        document = weasyprint.HTML(string=html, url_fetcher=fetcher, base_url=None).render()
        _budget.get().page(len(document.pages))
        return document.write_pdf()


def _bound_layout() -> None:
    """Make WeasyPrint's layout report each page it makes to the active budget.

    WeasyPrint has no hook for that; ``layout_document`` takes its pages from
    ``make_all_pages``, a generator, so wrapping that one name stops a runaway layout at
    the first page over the limit or past the deadline instead of after all of them.
    """
    from weasyprint import layout

    original = getattr(layout, "make_all_pages", None)
    if original is None or getattr(original, "abonent_bounded", False):
        return

    def bounded_pages(context, root_box, html, pages):
        for number, page in enumerate(original(context, root_box, html, pages), 1):
            budget = _budget.get()
            if budget is not None:
                budget.page(number)
            yield page

    bounded_pages.abonent_bounded = True
    layout.make_all_pages = bounded_pages


def _escape(text: str) -> str:
    from django.utils.html import escape

    return escape(text)


def _part_pages(data: bytes):
    from PIL import Image
    from pypdf import PdfReader

    if not data.startswith(b"%PDF"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))  # beyond twice Pillow's limit: refused
        if image.width * image.height > settings.UPLOAD_MAX_IMAGE_PIXELS:
            raise ValueError(_("The image is %(w)s × %(h)s pixels.")
                             % {"w": image.width, "h": image.height})
        image = image.convert("RGB")
        converted = io.BytesIO()
        image.save(converted, format="PDF", resolution=150)
        data = converted.getvalue()
    return list(PdfReader(io.BytesIO(data)).pages)


def merge_pdfs(parts, *, tolerant: bool = False):
    """One PDF of several: each part is PDF bytes or an image (jpg/png) file's bytes.

    ``tolerant``: a part that cannot be read (or is an exception, e.g. a missing file's)
    is left out; returns ``(pdf, [(index, error), …])`` instead of the PDF alone.
    """
    from pypdf import PdfWriter

    writer = PdfWriter()
    failures = []
    for index, data in enumerate(parts):
        try:
            if isinstance(data, Exception):
                raise data
            pages = _part_pages(data)
        except Exception as e:
            if not tolerant:
                raise
            failures.append((index, (str(e) or type(e).__name__)[:200]))
            continue
        for page in pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return (out.getvalue(), failures) if tolerant else out.getvalue()
