from django.urls import path

from . import views
from .ui import actions, card, keys, login_list, logins, network

app_name = "radius"

L = "logins/<int:login_id>/"

urlpatterns = [
    # FreeRADIUS rlm_rest (deploy/freeradius/mods-available/abonent).
    path("rest/authorize", views.authorize, name="rest-authorize"),
    path("rest/post-auth", views.post_auth, name="rest-post-auth"),
    path("rest/accounting", views.accounting, name="rest-accounting"),
    # Staff pages: the card's "Komputery" and the login's window (radius/ui/).
    path("customers/<int:customer_id>/logins/add/", card.login_add, name="login_add"),
    path(L, logins.login_window, name="login"),
    path(L + "edit/", logins.login_edit, name="login_edit"),
    path(L + "info/", card.login_info, name="login_info"),
    path(L + "ping/nas/", card.login_ping_nas, name="login_ping_nas"),
    path(L + "ping/client/", card.login_ping_client, name="login_ping_client"),
    path(L + "reload/", card.login_reload, name="login_reload"),
    path(L + "notes/", logins.login_notes, name="login_notes"),
    path(L + "reservation/", logins.login_reservation, name="login_reservation"),
    path(L + "disable/", actions.login_disable, name="login_disable"),
    path(L + "block/", actions.login_block, name="login_block"),
    path(L + "unblock/", actions.login_unblock, name="login_unblock"),
    path(L + "temp-speed/", actions.login_temp_speed, name="login_temp_speed"),
    path(L + "temp-speed/clear/", actions.login_temp_speed_clear,
         name="login_temp_speed_clear"),
    path(L + "delete/", actions.login_delete, name="login_delete"),
    path("customers/<int:customer_id>/block/", actions.customer_block, name="customer_block"),
    path("customers/<int:customer_id>/unblock/", actions.customer_unblock,
         name="customer_unblock"),
    path(L + "enable/", logins.login_enable, name="login_enable"),
    path(L + "photos/", logins.photo_add, name="photo_add"),
    path(L + "photos/<int:loginphoto_id>/", logins.photo_view, name="photo"),
    path(L + "photos/<int:loginphoto_id>/delete/", logins.photo_remove, name="photo_remove"),
    # Staff pages: the tenant's logins, filtered and exported (radius/ui/login_list.py).
    path("logins/", login_list.login_list, name="login_list"),
    path("logins/export/", login_list.login_list_export, name="login_list_export"),
    # Staff pages: the network ("Sieć").
    path("nas/", network.nas_list, name="nas_list"),
    path("nas/<int:nas_id>/edit/", network.nas_edit, name="nas_edit"),
    path("nas/<int:nas_id>/delete/", actions.nas_delete, name="nas_delete"),
    path("pools/", network.pool_list, name="pool_list"),
    path("pools/<int:ippool_id>/", network.pool_detail, name="pool_detail"),
    path("pools/<int:ippool_id>/delete/", actions.pool_delete, name="pool_delete"),
    # Staff pages: the FreeRADIUS keys (administrators).
    path("keys/", keys.key_list, name="key_list"),
    path("keys/<int:radiuskey_id>/rotate/", keys.key_rotate, name="key_rotate"),
    path("keys/<int:radiuskey_id>/revoke/", keys.key_revoke, name="key_revoke"),
]
