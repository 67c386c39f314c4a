from django.urls import path

from kehu.incidents import views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("declare/", views.incident_declare, name="declare"),
    path("<int:pk>/", views.incident_detail, name="detail"),
    path("<int:pk>/edit/", views.incident_edit, name="edit"),
    path("<int:pk>/status/", views.incident_status, name="status"),
    path("<int:pk>/link/", views.incident_link, name="link"),
    path("<int:pk>/unlink/", views.incident_unlink, name="unlink"),
    path("<int:pk>/timeline/", views.incident_timeline_add, name="timeline-add"),
    path("<int:pk>/notify/", views.incident_notify, name="notify"),
    path("<int:pk>/review/", views.incident_review, name="review"),
    path("accounts/<int:account_id>/", views.account_incidents, name="account"),
]
