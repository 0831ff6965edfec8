"""Payment reminders for staff: what today's run sends (a dry run, nothing written) and
"run now" (the same run as the daily task's; running it again sends nothing twice)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from core.tenant_settings import setting_get
from core.views import staff_view

from .. import reminders
from ..models import Channel, ReminderSent


@staff_view("messaging.add_bulksend")
@require_http_methods(["GET", "POST"])
def reminders_page(request):
    if request.method == "POST":
        try:
            plan = reminders.reminders_queue()
        except ValidationError as e:
            for text in e.messages:
                messages.error(request, text)
        else:
            count = len(plan.reminders)
            messages.success(request, ngettext("%(n)s payment reminder queued.",
                                               "%(n)s payment reminders queued.", count)
                             % {"n": count})
        return redirect("messaging:reminders")
    plan = reminders.reminders_due(today=timezone.localdate())
    channels = reminders.reminder_channels()
    rows = [{"stage": reminders.Stage(stage).label, "due": due,
             "counts": [(Channel(c).label, plan.count(stage, c)) for c in channels]}
            for stage, due in reminders.reminder_stages(today=plan.today)]
    return render(request, "messaging/auto/reminders.html", {
        "plan": plan, "rows": rows, "channels": channels,
        "template_before": setting_get("messaging.reminder_template_before"),
        "template_after": setting_get("messaging.reminder_template_after"),
        "stages": ReminderSent.Stage,
    })
