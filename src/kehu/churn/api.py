"""REST endpoints of the churn app."""

from ninja import Router

router = Router(tags=["churn"])
