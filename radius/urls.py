from django.urls import path

from . import views

app_name = "radius"

urlpatterns = [
    # FreeRADIUS rlm_rest (deploy/freeradius/mods-available/abonent).
    path("rest/authorize", views.authorize, name="rest-authorize"),
    path("rest/post-auth", views.post_auth, name="rest-post-auth"),
    path("rest/accounting", views.accounting, name="rest-accounting"),
]
