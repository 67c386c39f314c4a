"""Models of the dossier app (see the issue on the customer dossier)."""
