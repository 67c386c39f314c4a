from django.urls import path

from kehu.churn import views

app_name = "churn"

urlpatterns = [
    path("", views.review_list, name="list"),
    path("report/", views.report, name="report"),
    path("report/export/", views.report_export, name="report-export"),
    path("accounts/<int:account_id>/open/", views.review_open, name="open"),
    path("<int:pk>/", views.review_detail, name="detail"),
    path("<int:pk>/edit/", views.review_edit, name="edit"),
    path("<int:pk>/attribution/", views.review_attribute, name="attribute"),
    path("<int:pk>/status/", views.review_transition, name="transition"),
    path("<int:pk>/follow-ups/", views.follow_up_add, name="follow-up-add"),
    path("follow-ups/<int:pk>/done/", views.follow_up_done, name="follow-up-done"),
]
