from django.urls import path

from kehu.compass import views

app_name = "compass"

urlpatterns = [
    path("", views.compass_index, name="index"),
    path("tickets/<int:pk>/", views.compass_ticket, name="ticket"),
    path("tags/<str:name>/", views.compass_tag, name="tag"),
]
