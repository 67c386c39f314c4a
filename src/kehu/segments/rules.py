"""Who may see and change segments records (registered into kehu.access.permissions)."""
