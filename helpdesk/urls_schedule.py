"""Staff pages of the helpdesk's schedule part ("Terminarz"), and the staff's iCalendar
feeds (``ical/<token>.ics``: no login, the secret token is the key)."""

from django.urls import path

from .views import schedule

E = "schedule/events/<int:event_id>/"

urlpatterns = [
    path("schedule/", schedule.calendar, name="calendar"),
    path("schedule/events/", schedule.event_list, name="event_list"),
    path("schedule/events/new/", schedule.event_new, name="event_new"),
    path("schedule/customers/<int:customer_id>/new/", schedule.event_new_customer,
         name="event_new_customer"),
    path(E, schedule.event_detail, name="event_detail"),
    path(E + "move/", schedule.event_move, name="event_move"),
    path(E + "close/", schedule.event_close, name="event_close"),
    path(E + "reopen/", schedule.event_reopen, name="event_reopen"),
    path("schedule/types/", schedule.event_types, name="event_types"),
    path("schedule/types/<int:eventtype_id>/", schedule.event_type_detail,
         name="event_type_detail"),
    path("schedule/my-feed/", schedule.calendar_feed_manage, name="calendar_feed_manage"),
    path("ical/<str:token>.ics", schedule.calendar_feed, name="calendar_feed"),
]
