from django.urls import path

from kehu.pipeline import views

app_name = "pipeline"

urlpatterns = [
    path("", views.board, name="board"),
    path("opportunities/", views.opportunity_list, name="list"),
    path("opportunities/new/", views.opportunity_create, name="opportunity-create"),
    path("opportunities/import/", views.opportunity_import, name="import"),
    path("opportunities/export.<str:fmt>", views.opportunity_export, name="export"),
    path("opportunities/<int:pk>/", views.opportunity_detail, name="opportunity"),
    path("opportunities/<int:pk>/edit/", views.opportunity_edit, name="opportunity-edit"),
    path("opportunities/<int:pk>/move/", views.opportunity_move, name="move"),
    path("opportunities/<int:pk>/roles/", views.role_set, name="role-set"),
    path("opportunities/<int:pk>/competitors/", views.competitor_add, name="competitor-add"),
    path("competitors/<int:pk>/remove/", views.competitor_remove, name="competitor-remove"),
    path("leads/", views.lead_list, name="leads"),
    path("leads/new/", views.lead_create, name="lead-create"),
    path("leads/<int:pk>/", views.lead_edit, name="lead"),
    path("leads/<int:pk>/convert/", views.lead_convert, name="lead-convert"),
    path("forecast/", views.forecast, name="forecast"),
    path("conversion/", views.conversion, name="conversion"),
]
