from django.urls import path

from kehu.segments import views

app_name = "segments"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("rules/", views.rule_list, name="rule-list"),
    path("rules/new/", views.rule_create, name="rule-create"),
    path("rules/<int:pk>/edit/", views.rule_edit, name="rule-edit"),
    path("recompute/", views.recompute, name="recompute"),
    path("accounts/<int:pk>/override/", views.override, name="override"),
    path("accounts/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
]
