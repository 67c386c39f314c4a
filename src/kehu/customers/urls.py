from django.urls import path

from kehu.customers import views

app_name = "customers"

urlpatterns = [
    path("accounts/", views.account_list, name="account-list"),
    path("accounts/new/", views.account_create, name="account-create"),
    path("accounts/import/", views.account_import, name="account-import"),
    path("accounts/export/", views.account_export, name="account-export"),
    path("accounts/<int:pk>/", views.account_detail, name="account-detail"),
    path("accounts/<int:pk>/edit/", views.account_edit, name="account-edit"),
    path("accounts/<int:pk>/merge/", views.account_merge_view, name="account-merge"),
    path("accounts/<int:pk>/timeline/", views.account_timeline, name="account-timeline"),
    path("accounts/<int:pk>/team/", views.team_add, name="team-add"),
    path("accounts/<int:pk>/team/remove/", views.team_remove, name="team-remove"),
    path("accounts/<int:pk>/contacts/new/", views.contact_create, name="contact-create"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact-edit"),
    path("contacts/import/", views.contact_import, name="contact-import"),
    path("contacts/export/", views.contact_export, name="contact-export"),
    path("custom-fields/", views.custom_field_list, name="custom-field-list"),
    path("custom-fields/new/", views.custom_field_create, name="custom-field-create"),
    path("custom-fields/<int:pk>/edit/", views.custom_field_edit, name="custom-field-edit"),
]
