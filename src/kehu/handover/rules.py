"""Who may see and change handover records (registered into kehu.access.permissions)."""
