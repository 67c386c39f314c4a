"""The service desk (SPEC §2). So far: the SLA business-calendar engine in ``sla.py``."""
