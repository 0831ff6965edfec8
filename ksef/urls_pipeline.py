"""Staff pages of the ksef app's pipeline part."""

from django.urls import path

from .views import pipeline

urlpatterns = [
    path("", pipeline.queue, name="queue"),
    path("resend/", pipeline.queue_resend, name="queue_resend"),
    path("profile/", pipeline.profile_edit, name="profile"),
    path("profile/test/", pipeline.profile_test, name="profile_test"),
    path("submissions/<int:ksefsubmission_id>/upo.xml", pipeline.upo_download, name="upo"),
    path("submissions/<int:ksefsubmission_id>/resend/", pipeline.resend, name="resend"),
]
