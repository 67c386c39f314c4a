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
]
