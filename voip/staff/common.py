"""What the telephony's staff pages share: the delete page and the paging's query."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _


def delete_page(request, *, title: str, question: str, refusal: str, delete, done_message: str,
                done_url: str, cancel_url: str):
    """GET: "really delete?", or why it cannot be deleted (no button); POST: ``delete``
    (one service call), refused with its message if something came to depend meanwhile."""
    if request.method == "POST" and not refusal:
        try:
            delete()
        except ValidationError as error:
            refusal = " ".join(error.messages)
        else:
            messages.success(request, done_message)
            return redirect(done_url)
    return render(request, "voip/staff/delete.html", {
        "title": title, "question": question, "refusal": refusal, "cancel_url": cancel_url,
        "button": _("Delete"),
    }, status=400 if refusal and request.method == "POST" else 200)


def query_rest(**params) -> str:
    """The filters to keep in the pager's links (``&state=free``…)."""
    kept = {key: value for key, value in params.items() if value not in (None, "")}
    return "&" + urlencode(kept) if kept else ""
