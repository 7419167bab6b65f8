"""What a prompt version *is*: its content hash, and the template rendered for one case."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mmp_assets.recipes.common import digest
from mmp_assets.recipes.prompt import PromptRecipe

# the same double-brace syntax MLflow's prompt registry uses for text prompts
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def content_hash(prompt: PromptRecipe) -> str:
    """The digest of what changes a model's answers: template and settings.

    Owner, description, commit message and evaluation are left out: editing them must not make
    a new registry version (they are tags or evaluation inputs, not the prompt).
    """
    return digest("prompt-content", prompt.template, prompt.model_config_, prompt.response_format)


@dataclass(frozen=True)
class Rendered:
    text: str
    missing: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.missing


def render(template: str, inputs: dict[str, Any]) -> Rendered:
    """Fill every placeholder; a variable absent from `inputs` stays visible and is reported as missing."""
    missing: list[str] = []

    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name not in inputs or inputs[name] is None:
            missing.append(name)
            return match.group(0)
        return str(inputs[name])

    text = _PLACEHOLDER.sub(fill, template)
    return Rendered(text=text, missing=tuple(dict.fromkeys(missing)))
