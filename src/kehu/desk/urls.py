from django.urls import path

from kehu.desk import views

app_name = "desk"

urlpatterns = [
    path("calendars/", views.calendar_list, name="calendar-list"),
    path("calendars/new/", views.calendar_create, name="calendar-create"),
    path("calendars/<int:pk>/", views.calendar_detail, name="calendar-detail"),
    path("calendars/<int:pk>/edit/", views.calendar_edit, name="calendar-edit"),
    path("calendars/<int:pk>/delete/", views.calendar_delete, name="calendar-delete"),
    path("priorities/", views.priority_matrix_view, name="priority-matrix"),
    path("sla-policies/", views.sla_policy_list, name="sla-policy-list"),
    path("sla-policies/new/", views.sla_policy_form, name="sla-policy-create"),
    path("sla-policies/<int:pk>/", views.sla_policy_detail, name="sla-policy-detail"),
    path("sla-policies/<int:pk>/edit/", views.sla_policy_form, name="sla-policy-edit"),
    path("sla-policies/<int:pk>/delete/", views.sla_policy_delete, name="sla-policy-delete"),
]
