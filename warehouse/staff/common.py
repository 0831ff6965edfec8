"""What the catalogue's staff pages share: the "really?" page of a deactivation or a
deletion, and the list's pager query."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render


def confirm_page(request, *, title: str, question: str, refusal: str, button: str, act,
                 done_message: str, done_url: str, cancel_url: str, danger: bool = True):
    """GET: the question, or why it cannot be done (no button); POST: ``act`` (one service
    call), refused with its message if something changed meanwhile."""
    if request.method == "POST" and not refusal:
        try:
            act()
        except ValidationError as error:
            refusal = " ".join(error.messages)
        else:
            messages.success(request, done_message)
            return redirect(done_url)
    return render(request, "warehouse/staff/confirm.html", {
        "title": title, "question": question, "refusal": refusal, "button": button,
        "cancel_url": cancel_url, "danger": danger,
    }, status=400 if refusal and request.method == "POST" else 200)


def query_rest(**params) -> str:
    """The filters to keep in the pager's links (``&state=all&q=…``)."""
    kept = {key: value for key, value in params.items() if value not in (None, "")}
    return "&" + urlencode(kept) if kept else ""
