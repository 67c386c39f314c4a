"""The REST API: one NinjaAPI that only wires the apps' routers (OpenAPI at /api/docs)."""

from ninja import Router

from kehu.access.api import router as access_router
from kehu.churn.api import router as churn_router
from kehu.compass.api import router as compass_router
from kehu.contracts.api import router as contracts_router
from kehu.core.api import (
    KehuAPI,
    SessionAuth,
    TextParser,
    TokenAuth,
    install_error_handlers,
    throttles,
)
from kehu.customers.api import router as customers_router
from kehu.desk.search.api import router as desk_search_router
from kehu.desk.setup.api import setup_router as ticket_setup_router
from kehu.desk.sla.api import router as desk_router
from kehu.desk.tickets.api import router as ticket_router
from kehu.dossier.api import router as dossier_router
from kehu.feedback.api import router as feedback_router
from kehu.handover.api import router as handover_router
from kehu.incidents.api import router as incidents_router
from kehu.insight.api import router as insight_router
from kehu.kb.api import router as kb_router
from kehu.mail.api import router as mail_router
from kehu.notify.api import router as notify_router
from kehu.org.api import router as org_router
from kehu.pipeline.api import router as pipeline_router
from kehu.relations.api import router as relations_router
from kehu.segments.api import router as segments_router
from kehu.usage.api import router as usage_router

api = KehuAPI(
    title="Kehu API",
    version="1",
    description=(
        "Token auth: `Authorization: Bearer <token>` (create tokens on your profile page). "
        "Browser sessions work too, with the CSRF token on unsafe methods. Errors always have the "
        "shape {code, message, errors[{field, message}]}. Updates carry the `version` you read; "
        "a stale one gets 409 and changes nothing. Reads of a versioned resource send its "
        '`ETag` (W/"<version>"); send it back as `If-Match` on PATCH/PUT instead of (or with the '
        "same value as) the body's version, and a stale one gets 412 Precondition Failed."
    ),
    auth=[TokenAuth(), SessionAuth()],
    throttle=throttles(),
    urls_namespace="api",
    parser=TextParser(),
)
install_error_handlers(api)


def keep_operation_ids(router: Router, former_module: str) -> None:
    """Give ``router``'s endpoints the operation ids ("<module>_<function>") they had when they
    lived in ``former_module``, so code clients generated from the OpenAPI keeps working."""
    for path_view in router.path_operations.values():
        for operation in path_view.operations:
            if operation.operation_id is None:
                name = operation.view_func.__name__
                operation.operation_id = f"{former_module}_{name}".replace(".", "_")


# These modules moved when the desk got sub-packages.
keep_operation_ids(desk_router, "kehu.desk.api")
keep_operation_ids(ticket_router, "kehu.desk.ticket_api")
keep_operation_ids(ticket_setup_router, "kehu.desk.ticket_api")

api.add_router("/", access_router)
api.add_router("/org", org_router)
api.add_router("/desk", desk_router)
api.add_router("/desk/tickets", ticket_router)
api.add_router("/desk", ticket_setup_router)
api.add_router("/feedback", feedback_router)
api.add_router("/desk", desk_search_router)
api.add_router("/notify", notify_router)
api.add_router("/incidents", incidents_router)
api.add_router("/mail", mail_router)
api.add_router("/customers", customers_router)
api.add_router("/usage", usage_router)
api.add_router("/dossier", dossier_router)
api.add_router("/churn", churn_router)
api.add_router("/handover", handover_router)
api.add_router("/segments", segments_router)
api.add_router("/compass", compass_router)
api.add_router("/relations", relations_router)
api.add_router("/kb", kb_router)
api.add_router("/pipeline", pipeline_router)
api.add_router("/contracts", contracts_router)
api.add_router("/insight", insight_router)
