from django.urls import path

from kehu.mail import views

app_name = "mail"
urlpatterns = [
    path("mailboxes/", views.mailbox_list, name="mailbox-list"),
    path("mailboxes/new/", views.mailbox_create, name="mailbox-create"),
    path("mailboxes/<int:pk>/", views.mailbox_detail, name="mailbox-detail"),
    path("mailboxes/<int:pk>/edit/", views.mailbox_edit, name="mailbox-edit"),
    path("mailboxes/<int:pk>/poll/", views.mailbox_poll, name="mailbox-poll"),
    path("received/", views.received_list, name="received-list"),
    path("received/<int:pk>/", views.received_detail, name="received-detail"),
    path("received/<int:pk>/release/", views.received_release, name="received-release"),
    path("received/<int:pk>/discard/", views.received_discard, name="received-discard"),
]
