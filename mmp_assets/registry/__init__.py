"""The model registry: registered versions, aliases, the champion stack, approvals and gate verdicts.

Below training and evaluation (which register versions and record verdicts) and above the
feature store; the MLflow tag names it reads and writes are spelled once in `mmp_assets.tags`.
"""
