"""Models of the churn app (see the issue on the customer dossier)."""
