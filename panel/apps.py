from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PanelConfig(AppConfig):
    name = "panel"
    verbose_name = _("Customer panel")

    def ready(self):
        from django.contrib.auth.signals import user_logged_out

        user_logged_out.connect(_staff_logged_out, dispatch_uid="panel.as_customer_end")


def _staff_logged_out(sender, request, user, **kwargs):
    """A staff user's logout ends their view of the panel as a customer (the session goes
    with it): the end is logged."""
    if request is None or not hasattr(request, "session"):
        return
    from .services import impersonation_end

    impersonation_end(request, user, clear=False)
