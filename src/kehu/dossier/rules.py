"""Who may see and change dossier records (registered into kehu.access.permissions)."""
