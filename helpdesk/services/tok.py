"""Every write of the TOK part ("Telefoniczna Obsługa Klienta", the call log): the topic
tree and its scripts, interactions (with a customer or a "zero client", a caller not in
the database), attaching a zero client to a customer, and call recordings."""

import datetime

import nh3
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from core.actionlog import action_log, staff_of
from helpdesk import routing
from helpdesk.models import (
    CallRecording,
    ContactChannel,
    Direction,
    Interaction,
    Topic,
    TopicScript,
)
from helpdesk.models.topics import MAX_LEVEL

# A call entered with times this far ahead of now is a typo (a wrong year), not a plan.
FUTURE_SLACK = datetime.timedelta(minutes=5)
NAME_MAX = Topic._meta.get_field("name").max_length
SCRIPT_MAX = TopicScript._meta.get_field("body").max_length
TEXT_MAX = Interaction._meta.get_field("text").max_length

# What a script may contain: text formatting, lists, links and simple tables. Anything
# else (scripts, styles, event handlers, javascript: URLs) is dropped by nh3.
SCRIPT_TAGS = {"p", "br", "b", "strong", "i", "em", "u", "s", "ul", "ol", "li", "a", "h3",
               "h4", "h5", "blockquote", "table", "thead", "tbody", "tr", "th", "td", "hr",
               "span", "mark", "code", "pre"}
SCRIPT_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"},
                     "th": {"colspan", "rowspan"}}
SCRIPT_URL_SCHEMES = {"http", "https", "mailto", "tel"}


def script_sanitize(html: str) -> str:
    """``html`` reduced to the script whitelist (no script, no handlers, no js: URLs)."""
    return nh3.clean(html or "", tags=SCRIPT_TAGS, attributes=SCRIPT_ATTRIBUTES,
                     url_schemes=SCRIPT_URL_SCHEMES, clean_content_tags={"script", "style"},
                     link_rel="noopener noreferrer").strip()


# --------------------------------------------------------------------------- topics

_UNSET = object()


def _name_clean(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the topic a name.")})
    if len(name) > NAME_MAX:
        raise ValidationError({"name": _("A topic's name has at most %(max)d characters.")
                               % {"max": NAME_MAX}})
    return name


def _name_unique(name: str, parent: Topic | None, exclude: int | None = None) -> None:
    siblings = Topic.objects.filter(parent=parent, name__iexact=name)
    if exclude:
        siblings = siblings.exclude(pk=exclude)
    if siblings.exists():
        raise ValidationError({"name": _("%(parent)s already has a topic named “%(name)s”.")
                               % {"parent": parent.name if parent else _("The top level"),
                                  "name": name}})


def topic_create(*, actor, name: str, parent: Topic | None = None,
                 suggested_case_type=None, routing_rule=None, script: str = "") -> Topic:
    """A topic at the end of ``parent``'s children (a reason when no parent). Locks the
    parent so two children added at once get distinct positions; with ``script`` the
    topic starts with version 1 of it."""
    name = _name_clean(name)
    with transaction.atomic():
        if parent is not None:
            parent = Topic.objects.select_for_update().get(pk=parent.pk)
            if not parent.is_active:
                raise ValidationError({"parent": _("A retired topic takes no new topics.")})
            if parent.level >= MAX_LEVEL:
                raise ValidationError({"parent": _("The tree has %(max)d levels (reason → "
                                                   "topic → detail): a detail takes no "
                                                   "topics under it.") % {"max": MAX_LEVEL}})
        _name_unique(name, parent)
        last = Topic.objects.filter(parent=parent).aggregate(m=Max("position"))["m"]
        topic = Topic(name=name, parent=parent, level=parent.level + 1 if parent else 1,
                      position=(last or 0) + 1, suggested_case_type=suggested_case_type,
                      routing_rule=routing_rule)
        topic.save()
        topic.path = f"{parent.path if parent else ''}{topic.pk}/"
        topic.save(update_fields=["path"])
        if script and script_sanitize(script):
            _script_add(actor=actor, topic=topic, body=script_sanitize(script))
        action_log(actor=actor, kind="topic.create", message=N_("TOK topic %(name)s added."),
                   params={"name": _path_name(topic)})
    return topic


def _path_name(topic: Topic) -> str:
    names = [topic.name]
    node = topic
    while node.parent_id:
        node = node.parent
        names.append(node.name)
    return " → ".join(reversed(names))


def topic_update(*, actor, topic: Topic, name=_UNSET, suggested_case_type=_UNSET,
                 routing_rule=_UNSET) -> Topic:
    """Rename a topic or change what it suggests and routes by; the log keeps before and
    after."""
    from core.actionlog import diff_fields

    with transaction.atomic():
        topic = Topic.objects.select_for_update().get(pk=topic.pk)
        fields = ("name", "suggested_case_type_id", "routing_rule_id")
        before = {f: getattr(topic, f) for f in fields}
        if name is not _UNSET:
            topic.name = _name_clean(name)
            _name_unique(topic.name, topic.parent, exclude=topic.pk)
        if suggested_case_type is not _UNSET:
            topic.suggested_case_type = suggested_case_type
        if routing_rule is not _UNSET:
            topic.routing_rule = routing_rule
        changes = diff_fields(topic, before, fields)
        if changes:
            topic.save(update_fields=["name", "suggested_case_type", "routing_rule"])
            action_log(actor=actor, kind="topic.update",
                       message=N_("TOK topic %(name)s changed."),
                       params={"name": _path_name(topic)}, changes=changes)
    return topic


def topic_move(*, actor, topic: Topic, offset: int) -> Topic:
    """Move a topic ``offset`` places among its siblings (−1 up, +1 down); the siblings
    are renumbered 1, 2, 3… under the parent's lock."""
    with transaction.atomic():
        if topic.parent_id:
            Topic.objects.select_for_update().get(pk=topic.parent_id)
        siblings = list(Topic.objects.select_for_update().filter(parent_id=topic.parent_id)
                        .order_by("position", "name", "pk"))
        index = next(i for i, s in enumerate(siblings) if s.pk == topic.pk)
        target = max(0, min(len(siblings) - 1, index + offset))
        if target == index:
            return siblings[index]
        siblings.insert(target, siblings.pop(index))
        changed = []
        for position, sibling in enumerate(siblings, start=1):
            if sibling.position != position:
                sibling.position = position
                changed.append(sibling)
        Topic.objects.bulk_update(changed, ["position"])
        moved = siblings[target]
        action_log(actor=actor, kind="topic.move", message=N_("TOK topic %(name)s moved."),
                   params={"name": _path_name(moved)})
    return moved


def topic_retire(*, actor, topic: Topic, now=None) -> int:
    """Retire a topic and everything under it: no longer offered to operators, kept on
    every interaction, case and rule that used it. Returns how many were retired."""
    now = now or timezone.now()
    with transaction.atomic():
        topic = Topic.objects.select_for_update().get(pk=topic.pk)
        if not topic.is_active:
            raise ValidationError(_("The topic is already retired."))
        count = Topic.objects.filter(path__startswith=topic.path, is_active=True) \
            .update(is_active=False, retired_at=now)
        action_log(actor=actor, kind="topic.retire", message=N_("TOK topic %(name)s retired."),
                   params={"name": _path_name(topic)})
    return count


def topic_reactivate(*, actor, topic: Topic) -> Topic:
    """Offer a retired topic again (only it: its retired children stay retired until
    reactivated one by one). Its parent must be active."""
    with transaction.atomic():
        topic = Topic.objects.select_for_update().get(pk=topic.pk)
        if topic.is_active:
            raise ValidationError(_("The topic is active."))
        if topic.parent_id and not topic.parent.is_active:
            raise ValidationError(_("Reactivate %(parent)s first: a topic under a retired "
                                    "one cannot be offered.") % {"parent": topic.parent.name})
        topic.is_active = True
        topic.retired_at = None
        topic.save(update_fields=["is_active", "retired_at"])
        action_log(actor=actor, kind="topic.reactivate",
                   message=N_("TOK topic %(name)s reactivated."),
                   params={"name": _path_name(topic)})
    return topic


def _script_add(*, actor, topic: Topic, body: str) -> TopicScript:
    last = topic.scripts.aggregate(m=Max("version"))["m"] or 0
    return TopicScript.objects.create(topic=topic, version=last + 1, body=body,
                                      created_by=staff_of(actor))


def topic_script_save(*, actor, topic: Topic, body: str) -> TopicScript | None:
    """Save ``body`` (sanitized) as the topic's next script version; None when it is the
    same as the current one (no version added). Locks the topic: two editors saving at
    once get consecutive versions."""
    if len(body or "") > SCRIPT_MAX:
        raise ValidationError({"body": _("A script has at most %(max)d characters.")
                               % {"max": SCRIPT_MAX}})
    clean = script_sanitize(body)
    with transaction.atomic():
        topic = Topic.objects.select_for_update().get(pk=topic.pk)
        current = topic.scripts.order_by("-version").first()
        if (current.body if current else "") == clean:
            return None
        script = _script_add(actor=actor, topic=topic, body=clean)
        action_log(actor=actor, kind="topic.script",
                   message=N_("Script of TOK topic %(name)s changed (version %(version)s)."),
                   params={"name": _path_name(topic), "version": script.version})
    return script


# --------------------------------------------------------------------------- interactions

def _timings_clean(*, now, card_opened_at, call_arrived_at, call_answered_at,
                   call_ended_at) -> None:
    errors = {}
    limit = now + FUTURE_SLACK
    for field, value in (("card_opened_at", card_opened_at),
                         ("call_arrived_at", call_arrived_at),
                         ("call_answered_at", call_answered_at),
                         ("call_ended_at", call_ended_at)):
        if value is not None and value > limit:
            errors[field] = _("This time is in the future.")
    if call_arrived_at and call_answered_at and call_answered_at < call_arrived_at \
            and "call_answered_at" not in errors:
        errors["call_answered_at"] = _("The call was answered before it arrived.")
    if call_ended_at and (call_answered_at or call_arrived_at) and \
            call_ended_at < (call_answered_at or call_arrived_at) \
            and "call_ended_at" not in errors:
        errors["call_ended_at"] = _("The call ended before it was answered.")
    if call_ended_at and not (call_answered_at or call_arrived_at):
        errors.setdefault("call_ended_at", _("Give the time the call was answered too."))
    if errors:
        raise ValidationError(errors)


def _duration(*, now, card_opened_at, call_answered_at, call_arrived_at,
              call_ended_at) -> int | None:
    """Handling time: answered (or arrived) → ended for a call, else card opened → saved."""
    start = call_answered_at or call_arrived_at
    if start and call_ended_at:
        return int((call_ended_at - start).total_seconds())
    if card_opened_at and card_opened_at <= now:
        return int((now - card_opened_at).total_seconds())
    return None


def interaction_create(*, actor, topic: Topic, text: str, direction: str = Direction.IN,
                       channel: str = ContactChannel.PHONE, customer=None,
                       caller_name: str = "", number: str = "", card_opened_at=None,
                       call_arrived_at=None, call_answered_at=None, call_ended_at=None,
                       queue=None, office: str = "", script_version=None, now=None):
    """Record one contact (a TOK entry) and apply the routing decision.

    Validates (an active topic of any level; a zero client — no ``customer`` — gives a
    name or a number; the timings in order and not in the future; the script version
    shown belongs to the topic), computes the duration, asks ``helpdesk.routing`` for the
    decision and records it, then lets routing carry it out (a case, say), in one
    transaction. Returns ``(interaction, case or None)``. No rows are locked: an
    interaction is a new row and routing locks what it changes.
    """
    now = now or timezone.now()
    errors = {}
    if topic is None or not topic.is_active:
        errors["topic"] = _("Choose an active topic.")
    caller_name = (caller_name or "").strip()
    number = (number or "").strip()
    text = text or ""
    if customer is None and not caller_name and not number:
        errors["caller_name"] = _("Give the caller's name or number: the caller is not a "
                                  "customer.")
    if len(text) > TEXT_MAX:
        errors["text"] = _("The text has at most %(max)d characters.") % {"max": TEXT_MAX}
    if len(caller_name) > 200:
        errors["caller_name"] = _("The name has at most 200 characters.")
    if len(number) > 32:
        errors["number"] = _("The number has at most 32 characters.")
    if direction not in Direction.values:
        errors["direction"] = _("Choose the direction.")
    if channel not in ContactChannel.values:
        errors["channel"] = _("Choose the channel.")
    if script_version is not None and topic is not None and script_version.topic_id != topic.pk:
        errors["script_version"] = _("That script belongs to another topic.")
    if errors:
        raise ValidationError(errors)
    _timings_clean(now=now, card_opened_at=card_opened_at, call_arrived_at=call_arrived_at,
                   call_answered_at=call_answered_at, call_ended_at=call_ended_at)
    decision = routing.route_decide(topic=topic, customer=customer, at=now)
    with transaction.atomic():
        interaction = Interaction(
            customer=customer, caller_name=caller_name, number=number, topic=topic,
            script=script_version, text=text, direction=direction, channel=channel,
            agent=staff_of(actor), queue=queue, office=(office or "").strip()[:100],
            card_opened_at=card_opened_at, created_at=now, call_arrived_at=call_arrived_at,
            call_answered_at=call_answered_at, call_ended_at=call_ended_at,
            duration_seconds=_duration(now=now, card_opened_at=card_opened_at,
                                       call_answered_at=call_answered_at,
                                       call_arrived_at=call_arrived_at,
                                       call_ended_at=call_ended_at),
            routing_rule_id=decision.rule_id, routing_action=decision.action)
        interaction.save()
        case = routing.route_apply(interaction=interaction, decision=decision, actor=actor)
        action_log(actor=actor, kind="interaction.create", customer=customer,
                   message=N_("TOK conversation recorded: %(topic)s (%(channel)s)."),
                   params={"topic": topic.name, "channel": ContactChannel(channel).label})
    return interaction, case


def interaction_attach(*, actor, interaction: Interaction, customer, now=None) -> Interaction:
    """Attach a zero-client interaction to ``customer`` (it then shows in the customer's TOK
    history). Locks the interaction: two operators attaching at once, one wins."""
    now = now or timezone.now()
    with transaction.atomic():
        interaction = Interaction.objects.select_for_update().get(pk=interaction.pk)
        if interaction.customer_id is not None:
            raise ValidationError({"customer": _("The conversation is already attached to a "
                                                 "customer.")})
        if customer is None:
            raise ValidationError({"customer": _("Choose the customer.")})
        interaction.customer = customer
        interaction.attached_at = now
        interaction.attached_by = staff_of(actor)
        interaction.save(update_fields=["customer", "attached_at", "attached_by"])
        action_log(actor=actor, kind="interaction.attach", customer=customer,
                   message=N_("TOK conversation of %(when)s (%(who)s) attached to the "
                              "customer."),
                   params={"when": interaction.created_at,
                           "who": interaction.caller_name or interaction.number})
    return interaction


def call_recording_add(*, customer, interaction: Interaction | None, started_at,
                       number: str = "", duration_seconds: int = 0, file,
                       content_type: str = "audio/wav") -> CallRecording:
    """Keep a recorded call (the VoIP part links them): the file with its call's time,
    number and duration. ``customer`` may be None for a caller not in the database."""
    if duration_seconds is None or duration_seconds < 0:
        raise ValidationError({"duration_seconds": _("The duration cannot be negative.")})
    if interaction is not None and customer is None:
        customer = interaction.customer
    recording = CallRecording(customer=customer, interaction=interaction,
                              started_at=started_at, number=(number or "")[:32],
                              duration_seconds=duration_seconds, content_type=content_type)
    recording.file.save(getattr(file, "name", "") or "call.wav", file, save=False)
    recording.save()
    return recording
