"""REST endpoints of the dossier app."""

from ninja import Router

router = Router(tags=["dossier"])
