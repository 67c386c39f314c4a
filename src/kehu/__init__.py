"""Kehu (客户): one system for serving every customer, external and internal."""
