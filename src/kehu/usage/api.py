"""REST endpoints of the usage app."""

from ninja import Router

router = Router(tags=["usage"])
