"""The tenant's gateways (administrators only): its SMTP server and its SMS gateway.

The password field is write-only: it is never put back into the page; left empty, the
stored password stays.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.forms import BootstrapForm, form_write
from core.views import staff_view

from .. import gateway_config
from ..models import Channel, Gateway


class GatewayForm(BootstrapForm):
    kind = forms.ChoiceField(label=gettext_lazy("kind"))
    host = forms.CharField(label=gettext_lazy("SMTP server"), required=False, max_length=255)
    port = forms.IntegerField(label=gettext_lazy("port"), required=False)
    use_tls = forms.BooleanField(label=gettext_lazy("STARTTLS"), required=False)
    use_ssl = forms.BooleanField(label=gettext_lazy("SSL/TLS"), required=False)
    url = forms.CharField(label=gettext_lazy("URL"), required=False, max_length=500,
                          help_text=gettext_lazy("Kannel: http://host:13013/cgi-bin/sendsms; "
                                                 "a provider: its API address."))
    username = forms.CharField(label=gettext_lazy("user name"), required=False,
                               max_length=200)
    password = forms.CharField(
        label=gettext_lazy("password or token"), required=False, max_length=1000, strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}))
    from_address = forms.CharField(max_length=254, required=False)
    rate_per_second = forms.IntegerField(label=gettext_lazy("messages per second"),
                                         initial=50)

    def __init__(self, *args, channel: str, has_password: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, Gateway.Kind(k).label)
                                       for k in gateway_config.KINDS[channel]]
        if channel == Channel.EMAIL:
            for name in ("url",):
                del self.fields[name]
            self.fields["from_address"].label = _("From address")
        else:
            for name in ("host", "port", "use_tls", "use_ssl"):
                del self.fields[name]
            self.fields["from_address"].label = _("sender")
            self.fields["from_address"].help_text = _(
                "A name of up to 11 letters and digits or a phone number.")
        if has_password:
            self.fields["password"].help_text = _("A password is stored; leave empty to keep "
                                                  "it.")


def _channel_or_404(channel: str) -> str:
    if channel not in gateway_config.KINDS:
        raise Http404
    return channel


def _gateway(channel: str) -> Gateway | None:
    return Gateway.objects.filter(channel=channel).first()


@staff_view("messaging.view_gateway")
@require_GET
def gateway_list(request):
    """Both channels, set up or not. Queries: one (the tenant's gateways)."""
    found = {g.channel: g for g in Gateway.objects.all()}
    rows = [{"channel": Channel(c), "gateway": found.get(c),
             "report_url": gateway_config.gateway_report_url(found[c]) if c in found else ""}
            for c in gateway_config.KINDS]
    return render(request, "messaging/gateways/list.html", {"rows": rows})


@staff_view("messaging.view_gateway")
@require_http_methods(["GET", "POST"])
def gateway_edit(request, channel):
    channel = _channel_or_404(channel)
    gateway = _gateway(channel)
    if request.method == "POST":
        needed = "messaging.change_gateway" if gateway else "messaging.add_gateway"
        if not request.user.has_perm(needed):
            raise PermissionDenied
    initial = {}
    if gateway is not None:
        initial = {name: getattr(gateway, name) for name in gateway_config.LOGGED}
    form = GatewayForm(request.POST or None, initial=initial, channel=channel,
                       has_password=bool(gateway and gateway.password))
    if request.method == "POST":
        def save(data):
            if gateway is None:
                return gateway_config.gateway_create(actor=request.user, channel=channel,
                                                     **data)
            return gateway_config.gateway_update(actor=request.user, gateway=gateway, **data)

        saved = form_write(form, save)
        if saved is not None:
            messages.success(request, _("The %(channel)s gateway is saved.")
                             % {"channel": Channel(channel).label})
            return redirect("messaging:gateways")
    return render(request, "messaging/gateways/form.html", {
        "form": form, "gateway": gateway, "channel": Channel(channel),
    }, status=400 if form.errors else 200)


@staff_view("messaging.change_gateway")
@require_POST
def gateway_rotate(request, channel):
    gateway = _gateway(_channel_or_404(channel))
    if gateway is None:
        raise Http404
    gateway_config.gateway_dlr_rotate(actor=request.user, gateway=gateway)
    messages.success(request, _("A new secret is in the report address; reports with the "
                                "old one are refused from now on."))
    return redirect("messaging:gateways")


@staff_view("messaging.delete_gateway")
@require_POST
def gateway_delete(request, channel):
    gateway = _gateway(_channel_or_404(channel))
    if gateway is None:
        raise Http404
    gateway_config.gateway_delete(actor=request.user, gateway=gateway)
    messages.success(request, _("The %(channel)s gateway is removed.")
                     % {"channel": Channel(channel).label})
    return redirect("messaging:gateways")
