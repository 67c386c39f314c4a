from django.urls import path

from kehu.desk.portal import views as pv

app_name = "portal"

urlpatterns = [
    path("", pv.my_tickets, name="ticket-list"),
    path("new/", pv.submit, name="ticket-create"),
    path("tickets/<int:pk>/", pv.ticket_detail, name="ticket-detail"),
    path("tickets/<int:pk>/reply/", pv.reply, name="ticket-reply"),
    path("tickets/<int:pk>/close/", pv.close, name="ticket-close"),
    path("request/<int:service_id>/", pv.internal_request, name="internal-request"),
]
