from django.urls import path

from kehu.handover import views

app_name = "handover"

urlpatterns = [
    path("", views.handover_list, name="list"),
    path("start/", views.handover_start, name="start"),
    path("<int:pk>/", views.handover_detail, name="detail"),
    path("items/<int:pk>/edit/", views.item_edit, name="item-edit"),
]
