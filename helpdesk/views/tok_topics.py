"""TOK settings ("Ustawienia → TOK"): the topic tree, each topic's case type, routing rule
and script versions; retire and reactivate. Administrators only (``change_topic``)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.forms import apply_service_errors
from core.views import staff_view
from helpdesk.forms_tok import ScriptForm, TopicAddForm, TopicForm
from helpdesk.models import Topic
from helpdesk.selectors import tok as selectors
from helpdesk.services import tok as services

PERMISSION = "helpdesk.change_topic"


def _topic_or_404(topic_id) -> Topic:
    try:
        return selectors.topic_get(topic_id)
    except Topic.DoesNotExist:
        raise Http404 from None


@staff_view(PERMISSION)
@require_http_methods(["GET", "POST"])
def topic_tree(request):
    """The tree; POST adds a topic ("dodaj temat") under ``parent`` (a reason if none)."""
    form = TopicAddForm(request.POST or None, auto_id="topic_add_%s")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            topic = services.topic_create(
                actor=request.user, name=data["name"], parent=data["parent"],
                suggested_case_type=data["suggested_case_type"],
                routing_rule=data["routing_rule"], script=data["script"])
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("Topic %(name)s added.") % {"name": topic.name})
            return redirect("helpdesk:topic_tree")
    return render(request, "helpdesk/tok/topics.html", {
        "tree": selectors.topic_tree(), "form": form,
    }, status=400 if form.errors else 200)


@staff_view(PERMISSION)
@require_http_methods(["GET", "POST"])
def topic_edit(request, topic_id):
    topic = _topic_or_404(topic_id)
    form = TopicForm(request.POST or None, auto_id="topic_%s", initial={
        "name": topic.name, "suggested_case_type": topic.suggested_case_type_id,
        "routing_rule": topic.routing_rule_id})
    if request.method == "POST" and form.is_valid():
        try:
            services.topic_update(actor=request.user, topic=topic, **form.cleaned_data)
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("Saved."))
            return redirect("helpdesk:topic_tree")
    return render(request, "helpdesk/tok/topic_edit.html", {
        "topic": topic, "form": form,
    }, status=400 if form.errors else 200)


@staff_view(PERMISSION)
@require_http_methods(["GET", "POST"])
def topic_script_edit(request, topic_id):
    """The script's editor and its versions; saving unchanged text adds no version."""
    topic = _topic_or_404(topic_id)
    current = selectors.topic_script_current(topic)
    form = ScriptForm(request.POST or None, auto_id="script_%s",
                      initial={"body": current.body if current else ""})
    if request.method == "POST" and form.is_valid():
        try:
            script = services.topic_script_save(actor=request.user, topic=topic,
                                                body=form.cleaned_data["body"])
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            if script is None:
                messages.info(request, _("The script is unchanged."))
            else:
                messages.success(request, _("Script version %(version)s saved.")
                                 % {"version": script.version})
            return redirect("helpdesk:topic_script_edit", topic_id=topic.pk)
    return render(request, "helpdesk/tok/script_edit.html", {
        "topic": topic, "form": form, "versions": selectors.topic_script_list(topic),
    }, status=400 if form.errors else 200)


def _call(request, call, message):
    try:
        call()
    except ValidationError as e:
        for text in e.messages:
            messages.error(request, text)
    else:
        messages.success(request, message)
    return redirect("helpdesk:topic_tree")


@staff_view(PERMISSION)
@require_POST
def topic_move(request, topic_id):
    topic = _topic_or_404(topic_id)
    offset = -1 if request.POST.get("direction") == "up" else 1
    return _call(request, lambda: services.topic_move(actor=request.user, topic=topic,
                                                      offset=offset), _("Moved."))


@staff_view(PERMISSION)
@require_POST
def topic_retire(request, topic_id):
    topic = _topic_or_404(topic_id)
    return _call(request, lambda: services.topic_retire(actor=request.user, topic=topic),
                 _("%(name)s retired with its subtopics.") % {"name": topic.name})


@staff_view(PERMISSION)
@require_POST
def topic_reactivate(request, topic_id):
    topic = _topic_or_404(topic_id)
    return _call(request, lambda: services.topic_reactivate(actor=request.user, topic=topic),
                 _("%(name)s is offered again.") % {"name": topic.name})
