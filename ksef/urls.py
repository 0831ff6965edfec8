"""Staff pages of the ksef app, one module per part."""

from django.urls import include, path

from . import urls_offline, urls_pipeline

app_name = "ksef"

urlpatterns = [path("", include(part.urlpatterns))
               for part in (urls_pipeline, urls_offline,)]
