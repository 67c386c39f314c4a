"""REST endpoints of the compass app."""

from ninja import Router

router = Router(tags=["compass"])
