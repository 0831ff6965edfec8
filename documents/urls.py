from django.urls import path

from .views import batches, card, groups, station, subscriptions, templates

app_name = "documents"

C = "customers/<int:customer_id>/"
D = "<int:document_id>/"
T = "templates/<int:documenttemplate_id>/"
B = "batches/<int:documentbatch_id>/"

urlpatterns = [
    path("approve/", station.approve_station, name="approve"),
    # Default templates of customer groups
    path("groups/", groups.group_templates, name="group_templates"),
    path("groups/<int:customergroup_id>/templates/", groups.group_template_set,
         name="group_template_set"),
    # "Dokumenty do taryf"
    path("subscriptions/<int:subscription_id>/issue/", subscriptions.subscription_issue,
         name="subscription_issue"),
    path("tariffs/<int:tariff_id>/regenerate/", subscriptions.tariff_regenerate,
         name="tariff_regenerate"),
    # Templates (tenant admins)
    path("templates/", templates.template_list, name="templates"),
    path("templates/new/", templates.template_create, name="template_create"),
    path("templates/preview/", templates.template_preview_new, name="template_preview_new"),
    path("templates/preview/job/", templates.preview_job, name="preview_job"),
    path("issue/job/", card.issue_job, name="issue_job"),
    path("issue/job/progress/", card.issue_progress, name="issue_progress"),
    path("templates/preview/job/progress/", templates.preview_progress,
         name="preview_progress"),
    path(T, templates.template_edit, name="template_edit"),
    path(T + "preview/", templates.template_preview, name="template_preview"),
    # Bulk generation
    path("batches/", batches.batch_list, name="batches"),
    path(B, batches.batch_detail, name="batch"),
    path(B + "progress/", batches.batch_progress, name="batch_progress"),
    path(B + "download/", batches.batch_download, name="batch_download"),
    # The card's "Documents" section
    path(C + "issue/", card.document_issue, name="issue"),
    path(C + "letter/", card.letter_issue, name="letter"),
    path(C + "regenerate/", card.document_regenerate, name="regenerate"),
    path(D + "approve/", card.document_approve, name="approve_document"),
    path(D + "download/", card.document_download, name="download"),
    path(D + "print/", card.document_print, name="print"),
    path(D + "files/<int:documentfile_id>/", card.file_download, name="file_download"),
    path(D + "scans/add/", card.scan_add, name="scan_add"),
    path(D + "scans/<int:documentscan_id>/", card.scan_download, name="scan_download"),
    path(D + "scans/<int:documentscan_id>/remove/", card.scan_remove, name="scan_remove"),
    path(D + "downloads/", card.download_history, name="downloads"),
]
