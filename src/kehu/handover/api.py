"""REST endpoints of the handover app."""

from ninja import Router

router = Router(tags=["handover"])
