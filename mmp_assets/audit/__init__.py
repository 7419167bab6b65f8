"""Audit: the hash-chained lifecycle log and the lineage audit of model versions."""

from mmp_assets.audit.log import AuditLog, Refused, current_user, same_identity

__all__ = ["AuditLog", "Refused", "current_user", "same_identity"]
