from django.urls import path

from kehu.desk.queues import views as queue_views
from kehu.desk.search import views as search_views
from kehu.desk.setup import views as setup_views
from kehu.desk.sla import views as sla_views
from kehu.desk.tickets import views as tv

app_name = "desk"

urlpatterns = [
    path("calendars/", sla_views.calendar_list, name="calendar-list"),
    path("calendars/new/", sla_views.calendar_create, name="calendar-create"),
    path("calendars/<int:pk>/", sla_views.calendar_detail, name="calendar-detail"),
    path("calendars/<int:pk>/edit/", sla_views.calendar_edit, name="calendar-edit"),
    path("calendars/<int:pk>/delete/", sla_views.calendar_delete, name="calendar-delete"),
    path("search/", search_views.ticket_search, name="ticket-search"),
    path("priorities/", sla_views.priority_matrix_view, name="priority-matrix"),
    path("sla-policies/", sla_views.sla_policy_list, name="sla-policy-list"),
    path("sla-policies/new/", sla_views.sla_policy_form, name="sla-policy-create"),
    path("sla-policies/<int:pk>/", sla_views.sla_policy_detail, name="sla-policy-detail"),
    path("sla-policies/<int:pk>/edit/", sla_views.sla_policy_form, name="sla-policy-edit"),
    path("sla-policies/<int:pk>/delete/", sla_views.sla_policy_delete, name="sla-policy-delete"),
    path("tickets/", queue_views.ticket_list, name="ticket-list"),
    path("tickets/new/", tv.ticket_create, name="ticket-create"),
    path("tickets/bulk/", queue_views.ticket_bulk, name="ticket-bulk"),
    path("tickets/<int:pk>/", tv.ticket_detail, name="ticket-detail"),
    path("tickets/<int:pk>/update/", tv.ticket_update, name="ticket-update"),
    path("tickets/<int:pk>/reply/", tv.ticket_reply, name="ticket-reply"),
    path("tickets/<int:pk>/transfer/", tv.ticket_transfer, name="ticket-transfer"),
    path("tickets/<int:pk>/link/", tv.ticket_link, name="ticket-link"),
    path("tickets/<int:pk>/merge/", tv.ticket_merge, name="ticket-merge"),
    path("tickets/<int:pk>/watch/", tv.ticket_watch, name="ticket-watch"),
    path("transfers/<int:pk>/dispute/", tv.transfer_dispute, name="transfer-dispute"),
    path("attachments/<int:pk>/", tv.attachment_download, name="attachment"),
    path("views/", queue_views.saved_view_create, name="saved-view-create"),
    path("views/<int:pk>/delete/", queue_views.saved_view_delete, name="saved-view-delete"),
    path("dashboard/", queue_views.lead_dashboard, name="lead-dashboard"),
    path("departments/<int:pk>/", setup_views.department_setup, name="department-setup"),
    path("departments/<int:pk>/categories/", setup_views.category_add, name="category-add"),
    path("departments/<int:pk>/fields/", setup_views.field_add, name="field-add"),
    path("categories/<int:pk>/toggle/", setup_views.category_toggle, name="category-toggle"),
    path("fields/<int:pk>/delete/", setup_views.field_delete, name="field-delete"),
]
