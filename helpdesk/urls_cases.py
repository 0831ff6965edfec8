"""Staff pages of the helpdesk's cases part."""

from django.urls import path

from .views import cases, cases_admin

C = "cases/<int:case_id>/"

urlpatterns = [
    path("cases/new/", cases.case_new, name="case_new"),
    path("customers/<int:customer_id>/cases/new/", cases.case_new_customer,
         name="case_new_customer"),
    path("cases/mine/", cases.my_cases, name="my_cases"),
    path("cases/find/", cases.case_find, name="case_find"),
    path(C, cases.case_detail, name="case_detail"),
    path(C + "edit/", cases.case_edit, name="case_edit"),
    path(C + "take/", cases.case_take, name="case_take"),
    path(C + "send/", cases.case_send, name="case_send"),
    path(C + "return/", cases.case_return, name="case_return"),
    path(C + "complete/", cases.case_complete, name="case_complete"),
    path(C + "status/", cases.case_status, name="case_status"),
    path(C + "comment/", cases.case_comment, name="case_comment"),
    path(C + "attach/", cases.case_attach, name="case_attach"),
    path(C + "attachments/<int:caseattachment_id>/", cases.case_attachment_download,
         name="case_attachment"),
    path("queues/", cases_admin.queue_list, name="queue_list"),
    path("queues/<int:queue_id>/", cases_admin.queue_detail, name="queue_detail"),
    path("settings/queues/", cases_admin.queues, name="queues"),
    path("settings/queues/new/", cases_admin.queue_new, name="queue_new"),
    path("settings/queues/<int:queue_id>/", cases_admin.queue_edit, name="queue_edit"),
    path("settings/case-types/", cases_admin.case_types, name="case_types"),
    path("settings/case-types/<int:casetype_id>/", cases_admin.casetype_detail,
         name="casetype_detail"),
    path("settings/case-types/<int:casetype_id>/fields/<int:casefield_id>/",
         cases_admin.casefield_edit, name="casefield_edit"),
]
