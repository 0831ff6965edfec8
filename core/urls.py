from django.contrib.auth import views as auth_views
from django.urls import path

from . import views, views_staff

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
    # Staff of the tenant (core.views_staff): its administrators'.
    path("settings/staff/", views_staff.staff_list, name="staff_list"),
    path("settings/staff/new/", views_staff.staff_add, name="staff_add"),
    path("settings/staff/<int:membership_id>/", views_staff.staff_detail, name="staff_detail"),
    path("settings/staff/<int:membership_id>/role/", views_staff.staff_role, name="staff_role"),
    path("settings/staff/<int:membership_id>/active/", views_staff.staff_active,
         name="staff_active"),
    path("settings/staff/<int:membership_id>/password/", views_staff.staff_password,
         name="staff_password"),
    path("settings/staff/<int:membership_id>/sessions/end/", views_staff.staff_sessions_end,
         name="staff_sessions_end"),
    # The platform's tenants: its administrators' (superusers).
    path("platform/tenants/", views_staff.tenant_list, name="tenant_list"),
]
