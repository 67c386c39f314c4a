from django.urls import path

from kehu.kb import portal_views

app_name = "help"

urlpatterns = [
    path("", portal_views.index, name="index"),
    path("articles/<int:pk>/", portal_views.article, name="article"),
    path("articles/<int:pk>/vote/", portal_views.vote, name="vote"),
    path("suggest/", portal_views.suggest, name="suggest"),
]
