from django.urls import path

from kehu.feedback import views

app_name = "feedback"

urlpatterns = [
    path("ratings/", views.ratings, name="ratings"),
    path("callbacks/", views.callback_list, name="callbacks"),
    path("callbacks/<int:pk>/", views.callback_detail, name="callback-detail"),
    path("complaints/<int:ticket_id>/", views.complaint_edit, name="complaint"),
    path(
        "accounts/<int:account_id>/complaints/",
        views.account_complaints,
        name="account-complaints",
    ),
]

# The public survey link mailed to requesters: /s/<token>/ (no sign-in).
survey_urlpatterns = ([path("<str:token>/", views.survey, name="form")], "survey")
