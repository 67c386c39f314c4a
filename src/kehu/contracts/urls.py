from django.urls import path

from kehu.contracts import views

app_name = "contracts"

urlpatterns = [
    path("", views.contract_list, name="list"),
    path("new/", views.contract_create, name="create"),
    path("approvals/", views.inbox, name="inbox"),
    path("<int:pk>/", views.contract_detail, name="detail"),
    path("<int:pk>/edit/", views.contract_edit, name="edit"),
    path("<int:pk>/transition/", views.contract_transition, name="transition"),
    path("<int:pk>/submit/", views.contract_submit, name="submit"),
    path("<int:pk>/document.docx", views.contract_docx, name="docx"),
    path("<int:pk>/document.pdf", views.contract_pdf, name="pdf"),
    path("<int:pk>/upload/", views.contract_upload, name="upload"),
    path("<int:pk>/versions/", views.compare, name="compare"),
    path("<int:pk>/changes/new/", views.change_create, name="change-create"),
    path("steps/<int:pk>/decide/", views.step_decide, name="decide"),
    path("changes/<int:pk>/", views.change_detail, name="change-detail"),
    path("changes/<int:pk>/submit/", views.change_submit, name="change-submit"),
]
