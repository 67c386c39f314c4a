from django.urls import path

from kehu.relations import views

app_name = "relations"

urlpatterns = [
    path("accounts/<int:account_id>/", views.account_map, name="account"),
    path("accounts/<int:account_id>/people/add/", views.person_add, name="person-add"),
    path("accounts/<int:account_id>/level/", views.level_edit, name="level"),
    path(
        "accounts/<int:account_id>/interactions/add/",
        views.interaction_add,
        name="interaction-add",
    ),
    path("accounts/<int:account_id>/import/", views.map_import, name="import"),
    path("accounts/<int:account_id>/export.xlsx", views.map_export, name="export"),
    path("accounts/<int:account_id>/team/", views.team_dashboard, name="team"),
    path("accounts/<int:account_id>/team/edit/", views.team_edit, name="team-edit"),
    path("accounts/<int:account_id>/fire/", views.fire_create, name="fire-create"),
    path("fire/", views.fire_list, name="fire-list"),
    path("coverage/", views.coverage_list, name="coverage"),
    path("people/<int:pk>/", views.person_edit, name="person-edit"),
    path("people/<int:pk>/stage/", views.stage_change, name="stage"),
    path("people/<int:pk>/reports-to/", views.reports_to, name="reports-to"),
    path("people/<int:pk>/erase/", views.person_erase, name="person-erase"),
    path(
        "people/<int:pk>/export.<str:fmt>",
        views.person_export,
        name="person-export",
    ),
    path("people/<int:pk>/roles/", views.role_set, name="role-set"),
]
