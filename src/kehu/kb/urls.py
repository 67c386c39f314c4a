from django.urls import path

from kehu.kb import views

app_name = "kb"

urlpatterns = [
    path("", views.article_list, name="list"),
    path("export.xlsx", views.article_export, name="export"),
    path("articles/new/", views.article_create, name="article-create"),
    path("articles/<int:pk>/", views.article_detail, name="article-detail"),
    path("articles/<int:pk>/edit/", views.article_edit, name="article-edit"),
    path("articles/<int:pk>/delete/", views.article_delete, name="article-delete"),
    path(
        "articles/<int:pk>/<str:language>/edit/",
        views.translation_edit,
        name="translation-edit",
    ),
    path("translations/<int:pk>/history/", views.translation_history, name="history"),
    path("translations/<int:pk>/diff/", views.translation_diff, name="diff"),
    path("categories/", views.category_list, name="categories"),
    path("categories/new/", views.category_create, name="category-create"),
    path("categories/<int:pk>/", views.category_edit, name="category-edit"),
    path("reply-search/", views.reply_search, name="reply-search"),
]
