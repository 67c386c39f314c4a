"""The service desk (SPEC §2): SLA (``sla``), tickets (``tickets``), queues, search, portal, setup.

One Django app (label ``desk``); docs/architecture.md says what each sub-package holds.
"""
