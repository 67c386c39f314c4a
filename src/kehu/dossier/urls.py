from django.urls import path

from kehu.dossier import views

app_name = "dossier"

urlpatterns = [
    path("visits/", views.planning, name="visits"),
    path("accounts/<int:account_id>/", views.account_dossier, name="account"),
    path("accounts/<int:account_id>/entries/new/", views.entry_create, name="entry-create"),
    path("accounts/<int:account_id>/visits/new/", views.visit_create, name="visit-create"),
    path("entries/<int:pk>/", views.entry_detail, name="entry-detail"),
    path("entries/<int:pk>/edit/", views.entry_edit, name="entry-edit"),
    path("entries/<int:pk>/delete/", views.entry_delete, name="entry-delete"),
    path("entries/<int:pk>/history/", views.entry_history, name="entry-history"),
    path("entries/<int:pk>/diff/", views.entry_diff, name="entry-diff"),
    path("entries/<int:pk>/attachments/", views.attachment_upload, name="attachment-upload"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("visits/<int:pk>/", views.visit_detail, name="visit-detail"),
    path("visits/<int:pk>/edit/", views.visit_edit, name="visit-edit"),
    path("visits/<int:pk>/done/", views.visit_done, name="visit-done"),
    path("visits/<int:pk>/delete/", views.visit_delete, name="visit-delete"),
    path("visits/<int:pk>/follow-ups/", views.follow_up_add, name="follow-up-add"),
    path("follow-ups/<int:pk>/done/", views.follow_up_done, name="follow-up-done"),
    path("import/", views.import_view, name="import"),
    path("export.<str:fmt>", views.export_view, name="export"),
]
