"""Service levels: the engine (``engine``: business time over calendars), calendars, policies and
the priority matrix (``selectors``/``services``), each ticket's clocks (``clocks``), the sweep that
warns and escalates (``sweep``), the badges pages show (``badges``) and the SLA setup pages and API.
"""
