"""Who may see and change usage records (registered into kehu.access.permissions)."""
