"""Per-department ticket setup: categories, custom fields and queue settings (pages and API)."""
