"""Prompt registry with governance: versioned prompts as assets, offline evaluation, approval, audit."""

from mmp_assets.prompts.assets import build_prompt_assets

__all__ = ["build_prompt_assets"]
