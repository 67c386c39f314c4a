"""REST endpoints of the segments app."""

from ninja import Router

router = Router(tags=["segments"])
