"""Models of the handover app (see the issue on the customer dossier)."""
