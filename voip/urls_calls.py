from django.urls import path

from . import views_calls

urlpatterns = [
    # The card's call history: its table by htmx (filters, pages)
    path("customers/<int:customer_id>/calls/", views_calls.calls, name="calls"),
    # A recording through its signed, expiring link (?s=)
    path("recordings/<int:recording_id>/play/", views_calls.recording_play,
         name="recording_play"),
]
