"""Staff pages of the ksef app's offline part: outages and the offline certificate."""

from django.urls import path

from .views import offline

urlpatterns = [
    path("outages/", offline.outages, name="outages"),
    path("outages/<int:ksefoutage_id>/", offline.outage, name="outage"),
    path("offline-certificate/", offline.certificate, name="offline_certificate"),
    path("offline-certificate/delete/", offline.certificate_delete,
         name="offline_certificate_delete"),
]
