"""Who may see and change compass records (registered into kehu.access.permissions)."""
