"""Audit: the lineage audit of model versions, `mmp plan` and `mmp lineage impact`.

The hash-chained lifecycle log they read is `mmp_resources.audit_log`, below every stage that writes it.
"""
