"""The action log kinds of call recordings (``voip.recordings``). Registered from
``voip.views_calls.register_sections`` (VoipConfig.ready); ``voip/log_kinds.py`` may
import this module as ksef's does its parts."""

from django.utils.translation import gettext_lazy as _

from core.actionlog import register_log_kinds

register_log_kinds({
    "recording.play": _("Call recording played"),
    "recording.purge": _("Call recordings removed after the retention period"),
}, model="voip.Recording")
