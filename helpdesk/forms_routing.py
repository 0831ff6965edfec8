"""Forms of the routing part: a rule (settings page) and the preview's parameters."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapForm
from customers.models import AttributeType, CustomerGroup

from .models import (
    CaseType,
    CustomerKindMatch,
    Queue,
    RoutingAction,
    RoutingRule,
    TimeMatch,
    Topic,
    VipMatch,
)
from .services.routing import NAME_MAX


class _Choice(forms.ModelChoiceField):
    """A select of the tenant's rows; inactive ones are marked (the service refuses them
    with the reason, so the choice of an old rule stays visible)."""

    def label_from_instance(self, obj):
        label = str(obj)
        if isinstance(obj, Topic):
            label = "— " * (obj.level - 1) + label
        if getattr(obj, "is_active", True) is False:
            label = _("%(name)s (inactive)") % {"name": label}
        return label


class RoutingRuleForm(BootstrapForm):
    name = forms.CharField(label=_("name"), max_length=NAME_MAX)
    topic = _Choice(label=_("topic (with its subtopics)"), queryset=Topic.all_tenants.none(),
                    required=False, empty_label=_("any topic"))
    customer_kind = forms.ChoiceField(label=_("caller"), choices=CustomerKindMatch.choices)
    customer_group = _Choice(label=_("customer group"),
                             queryset=CustomerGroup.all_tenants.none(), required=False,
                             empty_label=_("any group"))
    vip = forms.ChoiceField(label=_("VIP"), choices=VipMatch.choices)
    vip_attribute = _Choice(label=_("VIP attribute"), queryset=AttributeType.all_tenants.none(),
                            required=False,
                            help_text=_("A customer is a VIP when this attribute has a "
                                        "true, non-empty value."))
    time = forms.ChoiceField(label=_("time"), choices=TimeMatch.choices)
    action = forms.ChoiceField(label=_("action"), choices=RoutingAction.choices)
    target_queue = _Choice(label=_("transfer to queue"), queryset=Queue.all_tenants.none(),
                           required=False)
    extension = forms.CharField(label=_("transfer to extension"), required=False,
                                max_length=RoutingRule._meta.get_field("extension").max_length)
    case_type = _Choice(label=_("case type"), queryset=CaseType.all_tenants.none(), required=False)
    case_queue = _Choice(label=_("queue of the case"), queryset=Queue.all_tenants.none(),
                         required=False)
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Built here, not at import: the scoped managers need the request's tenant.
        self.fields["topic"].queryset = Topic.objects.order_by("path")
        self.fields["customer_group"].queryset = CustomerGroup.objects.all()
        self.fields["vip_attribute"].queryset = AttributeType.objects.all()
        self.fields["target_queue"].queryset = Queue.objects.all()
        self.fields["case_queue"].queryset = Queue.objects.all()
        self.fields["case_type"].queryset = CaseType.objects.all()

    @staticmethod
    def initial_of(rule: RoutingRule) -> dict:
        return {name: getattr(rule, name) for name in (
            "name", "topic", "customer_kind", "customer_group", "vip", "vip_attribute",
            "time", "action", "target_queue", "extension", "case_type", "case_queue",
            "is_active")}


class RoutingPreviewForm(forms.Form):
    topic = forms.IntegerField(required=False, min_value=1)
    customer = forms.IntegerField(required=False, min_value=1)
