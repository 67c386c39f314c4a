"""Who may see and change churn records (registered into kehu.access.permissions)."""
