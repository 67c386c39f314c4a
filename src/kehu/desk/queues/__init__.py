"""The agent's queue (filters, keyset pages, saved views, bulk actions) and the lead's dashboard."""
