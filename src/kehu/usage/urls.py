from django.urls import path

from kehu.usage import views

app_name = "usage"

urlpatterns = [
    path("accounts/<int:account_id>/", views.account_usage, name="account"),
    path("accounts/<int:account_id>/export/", views.account_export, name="account-export"),
    path("import/", views.import_view, name="import"),
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge, name="alert-acknowledge"),
    path("products/", views.product_list, name="products"),
    path("products/new/", views.product_create, name="product-create"),
    path("products/<int:pk>/edit/", views.product_edit, name="product-edit"),
    path("rules/", views.rule_list, name="rules"),
    path("rules/new/", views.rule_create, name="rule-create"),
    path("rules/<int:pk>/edit/", views.rule_edit, name="rule-edit"),
]
