"""Staff pages of the LMS import, mounted at /lmsimport/."""

from django.urls import path

from . import views

app_name = "lmsimport"

urlpatterns = [
    path("", views.import_list, name="list"),
    path("<int:importrun_id>/", views.import_detail, name="detail"),
    path("<int:importrun_id>/progress/", views.import_progress, name="progress"),
]
