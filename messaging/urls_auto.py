"""The messages the system sends by itself: the payment reminders' page (dry run, run now)."""

from django.urls import path

from .views import auto

urlpatterns = [
    path("reminders/", auto.reminders_page, name="reminders"),
]
