"""What other apps add to a finance document without finance importing them.

Finance renders these registries; the apps that know more about a document register in
their ``ready()``:

- **panels** on the document's staff page (``register_document_panel``): a template and
  a context function, e.g. the KSeF state with the UPO download;
- **print marks** on the document's PDF (``register_print_mark``): HTML put under the
  printed document's header, e.g. the KOD I / KOD II QR codes of an invoice issued
  offline;
- **print appendices** after the printed document (``register_print_appendix``): pages
  of HTML appended to the PDF, e.g. an invoice's call list;
- the document's **KSeF reference** for tax files (``register_ksef_reference``): for a
  set of document ids, the KSeF number of each or the JPK marker ("OFF", "BFK", "DI")
  that stands for it.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .sections import _allowed


@dataclass(frozen=True)
class DocumentPanel:
    key: str
    template: str
    order: int
    context: Callable  # (request, document) -> dict | None (None: no panel for this one)
    permission: object = None


_PANELS: dict[str, DocumentPanel] = {}
_PRINT_MARKS: dict[str, Callable] = {}
_PRINT_APPENDICES: dict[str, Callable] = {}
_KSEF_REFERENCE: list[Callable] = []


def register_document_panel(key: str, *, template: str, context: Callable, order: int = 100,
                            permission=None) -> None:
    _PANELS[key] = DocumentPanel(key, template, order, context, permission)


def document_panels(request, document) -> list[dict]:
    """The panels to render on ``document``'s page for this user: dicts with
    ``template`` and ``context``."""
    shown = []
    for panel in sorted(_PANELS.values(), key=lambda p: (p.order, p.key)):
        if not _allowed(panel.permission, request.user):
            continue
        context = panel.context(request, document)
        if context is not None:
            shown.append({"key": panel.key, "template": panel.template, "context": context})
    return shown


def register_print_mark(key: str, render: Callable) -> None:
    """``render(document) -> str`` (safe HTML, or "" for none) printed on the PDF."""
    _PRINT_MARKS[key] = render


def print_marks(document) -> list[str]:
    return [html for key in sorted(_PRINT_MARKS) if (html := _PRINT_MARKS[key](document))]


def register_print_appendix(key: str, render: Callable) -> None:
    """``render(document) -> str`` (safe HTML, or "" for none) printed after the document,
    from a new page."""
    _PRINT_APPENDICES[key] = render


def print_appendices(document) -> list[str]:
    return [html for key in sorted(_PRINT_APPENDICES)
            if (html := _PRINT_APPENDICES[key](document))]


def register_ksef_reference(lookup: Callable) -> None:
    """``lookup(document_ids) -> {id: "KSeF number" | "OFF" | "BFK" | "DI"}``; one app
    (ksef) registers it. Registering again replaces it."""
    _KSEF_REFERENCE[:] = [lookup]


def ksef_references(document_ids: Iterable[int]) -> dict[int, str]:
    """The KSeF number or JPK marker of each document that has one; empty when no app
    knows (then tax files mark every invoice "BFK": issued outside KSeF)."""
    ids = list(document_ids)
    if not _KSEF_REFERENCE or not ids:
        return {}
    return _KSEF_REFERENCE[0](ids)
