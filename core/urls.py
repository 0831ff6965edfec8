from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("tenant/switch/", views.tenant_switch, name="tenant_switch"),
    path("settings/", views.tenant_settings, name="tenant_settings"),
    path("settings/login-locks/", views.login_locks, name="login_locks"),
    path("settings/api-tokens/", views.api_tokens, name="api_tokens"),
    path("settings/api-tokens/<int:apitoken_id>/revoke/", views.api_token_revoke,
         name="api_token_revoke"),
]
