from django.urls import path

from kehu.org import views

app_name = "org"

urlpatterns = [
    path("departments/", views.department_tree_view, name="departments-list"),
    path("import/", views.import_view, name="import"),
    path("export/<str:kind>.<str:fmt>", views.export_view, name="export"),
]
for slug in views.RESOURCES:
    if slug != "departments":
        urlpatterns.append(path(f"{slug}/", views.object_list, {"slug": slug}, name=f"{slug}-list"))
    urlpatterns += [
        path(f"{slug}/new/", views.object_create_view, {"slug": slug}, name=f"{slug}-create"),
        path(f"{slug}/<int:pk>/", views.object_detail, {"slug": slug}, name=f"{slug}-detail"),
        path(f"{slug}/<int:pk>/edit/", views.object_edit_view, {"slug": slug}, name=f"{slug}-edit"),
        path(
            f"{slug}/<int:pk>/delete/",
            views.object_delete_view,
            {"slug": slug},
            name=f"{slug}-delete",
        ),
    ]
