from django.urls import include, path

from kehu.access.urls import auth_urlpatterns
from kehu.api import api
from kehu.core import views as core_views
from kehu.feedback.urls import survey_urlpatterns
from kehu.ops import views as ops_views

urlpatterns = [
    path("", core_views.dashboard, name="dashboard"),
    path("i18n/language/", core_views.set_language, name="set-language"),
    path("healthz", ops_views.health, name="health"),
    path("metrics", ops_views.metrics, name="metrics"),
    path("accounts/", include(auth_urlpatterns)),
    path("accounts/", include("kehu.access.urls")),
    path("org/", include("kehu.org.urls")),
    path("desk/", include("kehu.desk.urls")),
    path("portal/help/", include("kehu.kb.portal_urls")),
    path("portal/", include("kehu.desk.portal.urls")),
    path("feedback/", include("kehu.feedback.urls")),
    path("s/", include(survey_urlpatterns)),
    path("notify/", include("kehu.notify.urls")),
    path("incidents/", include("kehu.incidents.urls")),
    path("mail/", include("kehu.mail.urls")),
    path("customers/", include("kehu.customers.urls")),
    path("usage/", include("kehu.usage.urls")),
    path("dossier/", include("kehu.dossier.urls")),
    path("churn/", include("kehu.churn.urls")),
    path("relations/", include("kehu.relations.urls")),
    path("kb/", include("kehu.kb.urls")),
    path("pipeline/", include("kehu.pipeline.urls")),
    path("contracts/", include("kehu.contracts.urls")),
    path("insight/", include("kehu.insight.urls")),
    path("handover/", include("kehu.handover.urls")),
    path("segments/", include("kehu.segments.urls")),
    path("compass/", include("kehu.compass.urls")),
    path("api/", api.urls),
]

handler404 = "kehu.core.views.api_aware_404"
handler500 = "kehu.core.views.api_aware_500"
