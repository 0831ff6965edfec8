"""Forms of the TOK part: topics and scripts (settings), the TOK entry (a customer's or a
zero client's), attaching a zero client, and the filters of the interaction lists.

The moment the card was opened travels as a signed hidden field set when the form is
drawn: a value the browser made up (or changed) is ignored, never trusted.
"""

import datetime

from django import forms
from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapForm, DateField
from core.models import User
from helpdesk.models import CaseType, ContactChannel, Direction, Queue, RoutingRule, Topic

from .selectors import tok as selectors

_OPENED_SALT = "helpdesk.tok.card_opened"
# A form kept open longer than this is not the same conversation any more.
OPENED_MAX_AGE = 24 * 3600


def card_opened_sign(moment: datetime.datetime) -> str:
    return signing.dumps(moment.timestamp(), salt=_OPENED_SALT)


def card_opened_read(value: str) -> datetime.datetime | None:
    try:
        stamp = signing.loads(value or "", salt=_OPENED_SALT, max_age=OPENED_MAX_AGE)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    try:
        return datetime.datetime.fromtimestamp(float(stamp), tz=datetime.UTC)
    except (TypeError, ValueError, OverflowError):
        return None


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class TopicForm(BootstrapForm):
    name = forms.CharField(label=_("name"), max_length=120)
    suggested_case_type = forms.ModelChoiceField(label=_("suggested case type"),
                                                 queryset=None, required=False)
    routing_rule = forms.ModelChoiceField(label=_("routing rule"), queryset=None,
                                          required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["suggested_case_type"].queryset = CaseType.objects.filter(
            is_active=True).order_by("name")
        self.fields["routing_rule"].queryset = RoutingRule.objects.order_by("position", "name")


class TopicAddForm(TopicForm):
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    script = forms.CharField(label=_("script"), required=False, max_length=50_000,
                             widget=forms.Textarea(attrs={"rows": 4,
                                                          "data-tok-editor": "1"}))

    def clean_parent(self):
        pk = self.cleaned_data.get("parent")
        if not pk:
            return None
        parent = Topic.objects.filter(pk=pk).first()
        if parent is None:
            raise forms.ValidationError(_("That topic does not exist."))
        return parent


class ScriptForm(BootstrapForm):
    body = forms.CharField(label=_("script"), required=False, strip=False, max_length=50_000,
                           widget=forms.Textarea(attrs={"rows": 12, "data-tok-editor": "1"}))


class InteractionForm(BootstrapForm):
    """A TOK entry. ``customer`` None: the zero client form (name and number asked)."""

    topic = forms.TypedChoiceField(label=_("topic"), coerce=int)
    text = forms.CharField(label=_("text"), required=False, max_length=20_000,
                           widget=forms.Textarea(attrs={"rows": 4}))
    direction = forms.ChoiceField(label=_("direction"), choices=Direction.choices,
                                  initial=Direction.IN)
    channel = forms.ChoiceField(label=_("channel"), choices=ContactChannel.choices,
                                initial=ContactChannel.PHONE)
    caller_name = forms.CharField(label=_("caller's name"), required=False, max_length=200)
    number = forms.CharField(label=_("number"), required=False, max_length=32,
                             help_text=_("The number that called (or was called)."))
    call_arrived_at = forms.DateTimeField(label=_("call arrived"), required=False,
                                          widget=DateTimeInput)
    call_answered_at = forms.DateTimeField(label=_("call answered"), required=False,
                                           widget=DateTimeInput)
    call_ended_at = forms.DateTimeField(label=_("call ended"), required=False,
                                        widget=DateTimeInput)
    queue = forms.ModelChoiceField(label=_("queue"), queryset=None, required=False)
    office = forms.CharField(label=_("office / region"), required=False, max_length=100)
    script_version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    opened = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, customer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.fields["topic"].choices = [("", "—"), *selectors.topic_choices()]
        self.fields["queue"].queryset = Queue.objects.filter(is_active=True).order_by("name")
        if customer is not None:
            del self.fields["caller_name"]
        if not self.is_bound:
            self.initial.setdefault("opened", card_opened_sign(timezone.now()))

    def clean(self):
        data = super().clean()
        if data.get("topic"):
            topic = Topic.objects.filter(pk=data["topic"], is_active=True).first()
            if topic is None:
                self.add_error("topic", _("Choose an active topic."))
            data["topic_obj"] = topic
        script = None
        if data.get("script_version"):
            from helpdesk.models import TopicScript

            script = TopicScript.objects.filter(pk=data["script_version"]).first()
        data["script_obj"] = script
        data["card_opened_at"] = card_opened_read(data.get("opened"))
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"topic": data["topic_obj"], "text": data["text"],
                "direction": data["direction"], "channel": data["channel"],
                "customer": self.customer, "caller_name": data.get("caller_name", ""),
                "number": data["number"], "card_opened_at": data["card_opened_at"],
                "call_arrived_at": data["call_arrived_at"],
                "call_answered_at": data["call_answered_at"],
                "call_ended_at": data["call_ended_at"], "queue": data["queue"],
                "office": data["office"], "script_version": data["script_obj"]}


class AttachForm(BootstrapForm):
    customer = forms.IntegerField(label=_("customer"), widget=forms.HiddenInput)


class _PeriodForm(BootstrapForm):
    topic = forms.TypedChoiceField(label=_("topic"), coerce=int, required=False,
                                   empty_value=None)
    date_from = DateField(label=_("from"), required=False)
    date_to = DateField(label=_("to"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Retired topics too: old conversations are looked up by them.
        self.tree = {t.pk: t for t in selectors.topic_tree()}
        self.fields["topic"].choices = [("", _("Any topic"))] + [
            (t.pk, "\u2003" * t.depth + t.name + ("" if t.is_active else " †"))
            for t in self.tree.values()]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end of the period is before its start."))
        for name in ("date_from", "date_to"):
            day = data.get(name)
            if day and not (datetime.date(1990, 1, 1) <= day <= datetime.date(2200, 1, 1)):
                self.add_error(name, _("Give a date between 1990 and 2200."))
        return data

    def topic_obj(self):
        return self.tree.get(self.cleaned_data.get("topic"))


class CardFilterForm(_PeriodForm):
    """The card section's filters: topic (with its subtree) and period."""


class InteractionFilterForm(_PeriodForm):
    channel = forms.ChoiceField(label=_("channel"), required=False,
                                choices=[("", _("Any channel")), *ContactChannel.choices])
    agent = forms.TypedChoiceField(label=_("agent"), coerce=int, required=False,
                                   empty_value=None)
    queue = forms.TypedChoiceField(label=_("queue"), coerce=int, required=False,
                                   empty_value=None)
    customer = forms.IntegerField(label=_("customer"), required=False, min_value=1,
                                  widget=forms.HiddenInput)
    zero = forms.BooleanField(label=_("zero client only"), required=False)

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        users = User.objects.filter(memberships__tenant=tenant).order_by("username")
        self.fields["agent"].choices = [("", _("Any agent"))] + [
            (u.pk, u.get_full_name() or u.get_username()) for u in users]
        self.fields["queue"].choices = [("", _("Any queue"))] + list(
            Queue.objects.order_by("name").values_list("pk", "name"))

    def filters(self) -> selectors.InteractionFilter:
        data = self.cleaned_data
        return selectors.InteractionFilter(
            topic=self.topic_obj(), date_from=data.get("date_from"),
            date_to=data.get("date_to"), channel=data.get("channel") or "",
            agent_id=data.get("agent"), queue_id=data.get("queue"),
            zero_only=bool(data.get("zero")), customer_id=data.get("customer"))
