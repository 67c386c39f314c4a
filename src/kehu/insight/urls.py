from django.urls import path

from kehu.insight import views

app_name = "insight"

urlpatterns = [
    path("", views.index, name="index"),
    path("reports/", views.report_list, name="reports"),
    path("reports/<int:pk>/", views.report_detail, name="report-detail"),
    path("reports/<int:pk>/pdf/", views.report_pdf, name="report-pdf"),
    path("reports/<int:pk>/xlsx/", views.report_xlsx, name="report-xlsx"),
    path("reports/<int:pk>/rows/<slug:figure>/", views.report_rows, name="report-rows"),
    path("subscriptions/", views.subscriptions, name="subscriptions"),
    path("subscriptions/<int:pk>/delete/", views.subscription_delete, name="subscription-delete"),
    path("scorecards/", views.scorecard_list, name="scorecards"),
    path("scorecards/matrix/", views.scorecard_matrix, name="matrix"),
    path("health/", views.health_list, name="health"),
    path("health/accounts/<int:account_id>/", views.health_account, name="health-account"),
    path("health/settings/", views.health_settings, name="health-settings"),
]
