from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("", include("core.urls")),
    path("customers/", include("customers.urls")),
    path("documents/", include("documents.urls")),
    path("finance/", include("finance.urls")),
    path("radius/", include("radius.urls")),
    path("panel/", include("panel.urls")),
]
