"""Models of the segments app (see the issue on the customer dossier)."""
