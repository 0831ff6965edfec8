from django.contrib import admin
from django.urls import include, path

from core.api_docs import RedocView, SchemaView, SwaggerView
from core.csp import docs_page

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", docs_page(SwaggerView.as_view(url_name="schema")), name="swagger-ui"),
    path("api/redoc/", docs_page(RedocView.as_view(url_name="schema")), name="redoc"),
    path("", include("core.urls")),
    path("customers/", include("customers.urls")),
    path("documents/", include("documents.urls")),
    path("finance/", include("finance.urls")),
    path("radius/", include("radius.urls")),
    path("panel/", include("panel.urls")),
    path("messaging/", include("messaging.urls")),
    path("mail/", include("mailhosting.urls")),
    path("helpdesk/", include("helpdesk.urls")),
    path("ksef/", include("ksef.urls")),
    path("accounting/", include("accounting.urls")),
    path("lmsimport/", include("lmsimport.urls")),
    path("voip/", include("voip.urls")),
    path("warehouse/", include("warehouse.urls")),
    path("notice/", include("messaging.notice_public")),
]

# Under /api/ errors are JSON in the API's one shape (core.api); elsewhere pages in the
# layout saying what to do (core.errors; 500 without the database).
handler400 = "core.api.bad_request"
handler403 = "core.errors.permission_denied"
handler404 = "core.errors.page_not_found"
handler500 = "core.errors.server_error"
