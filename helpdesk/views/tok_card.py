"""The card's "Telefoniczna Obsługa Klienta" section with "Historia połączeń
telefonicznych" beside it, and the recordings' player behind a signed, expiring link."""

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from core.views import staff_view
from helpdesk.forms_tok import CardFilterForm
from helpdesk.selectors import tok as selectors

PREFIX = "tok"


def _page(request, name) -> int:
    try:
        return max(1, int(request.GET.get(name) or 1))
    except ValueError:
        return 1


def _case_url(case) -> str:
    # The cases part's page; "" while that part is not there.
    try:
        return reverse("helpdesk:case_detail", kwargs={"case_id": case.pk})
    except NoReverseMatch:
        return ""


def tok_section_context(customer, request) -> dict:
    """Queries: the topics (filter choices), the subtree (with a topic), the page of
    interactions, their cases, the reasons, the page of recordings."""
    form = CardFilterForm(request.GET, prefix=PREFIX, auto_id="tok_filter_%s")
    interactions = None
    if form.is_valid():
        data = form.cleaned_data
        interactions = selectors.customer_interaction_page(
            customer=customer, topic=form.topic_obj(), date_from=data.get("date_from"),
            date_to=data.get("date_to"), page=_page(request, "tok_page"))
    recordings = None
    if request.user.has_perm("helpdesk.view_callrecording"):
        recordings = selectors.customer_recording_page(customer=customer,
                                                       page=_page(request, "rec_page"))
    if interactions is not None:
        for row in interactions.rows:
            row.case_links = [(case, _case_url(case)) for case in row.cases.all()]
    query = request.GET.copy()
    for name in ("tok_page", "rec_page", "sekcja"):
        query.pop(name, None)
    query["sekcja"] = "tok"
    return {"tok_filter": form, "tok_interactions": interactions,
            "tok_recordings": recordings, "tok_query": query.urlencode()}


@staff_view("helpdesk.view_callrecording")
@require_GET
def recording_play(request):
    """The recording a signed link names (``?t=``), for the card's ``<audio>`` player. A
    forged or expired link is refused (403); another tenant's recording is not found."""
    token = request.GET.get("t", "")
    if not token:
        raise Http404
    try:
        recording = selectors.recording_from_token(token)
    except selectors.RecordingLinkInvalid:
        raise PermissionDenied from None
    if recording is None or not recording.file:
        raise Http404
    try:
        handle = recording.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=recording.content_type)
    response["Cache-Control"] = "private, no-store"
    return response
