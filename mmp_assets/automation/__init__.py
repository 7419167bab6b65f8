"""Sensors and schedules: source observation and declarative automation, on by default."""

from mmp_assets.automation.definitions import build_automation

__all__ = ["build_automation"]
