"""Prompt registry with governance: versioned prompts as assets, offline evaluation, approval, audit.

Names are imported on first use (PEP 562): `mmp prompts list|show|diff` import the registry module
without the asset factory, and so without Dagster and the recipe models.
"""

from mmp_resources.lazy import lazy_exports

_EXPORTS = {"build_prompt_assets": "mmp_assets.prompts.assets"}

__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
