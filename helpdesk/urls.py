"""Staff pages of the helpdesk, one module per part."""

from django.urls import include, path

from . import (
    urls_cases,
    urls_mail,
    urls_reports,
    urls_routing,
    urls_schedule,
    urls_sla,
    urls_tok,
)

app_name = "helpdesk"

urlpatterns = [path("", include(part.urlpatterns))
               for part in (urls_tok, urls_cases, urls_sla, urls_routing, urls_mail,
                            urls_reports, urls_schedule)]
