"""`recipes/prompts/<name>.yaml`: a prompt template, its settings and its offline evaluation."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from mmp_assets.recipes.common import Name, Owner, Strict

_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")

# the fields of MLflow's PromptModelConfig; it silently drops any other key, so an unknown key is an error here
MODEL_CONFIG_KEYS = frozenset(
    {"provider", "model_name", "temperature", "max_tokens", "top_p", "top_k", "frequency_penalty",
     "presence_penalty", "stop_sequences", "extra_params"}
)


class PromptThresholds(Strict):
    toxicity_max: float = Field(0.5, ge=0, le=1, description="Highest toxicity probability any response may have.")
    groundedness_min: float = Field(0.8, ge=0, le=1, description="Lowest share of answer sentences supported by the context.")
    pii: Literal["forbid", "allow"] = Field("forbid", description="forbid fails a case whose response leaks an email, phone, card or IP.")
    max_length: int | None = Field(None, gt=0, description="Longest response in characters.")
    min_pass_rate: float = Field(1.0, ge=0, le=1, description="Share of cases that must pass for the version to pass.")


class PromptEvaluation(Strict):
    dataset: str = Field(description="JSONL of cases (inputs, context, response, expected?), relative to the recipe file.")
    thresholds: PromptThresholds = Field(default_factory=PromptThresholds, description="What a passing version must meet.")
    recorded_for: str | None = Field(
        None,
        pattern=r"^[0-9a-f]{16}$",
        description="Content hash of the prompt version whose outputs the recorded responses are. When set and the "
        "template changes, every recorded case fails as stale until the responses are re-recorded.",
    )


class PromptRecipe(Strict):
    """A versioned prompt: registered in MLflow's prompt registry, evaluated offline, approved by a second person."""

    name: Name = Field(description="Prompt name; asset key `prompts/<name>`, MLflow prompt name `<name>`.")
    description: str = Field(min_length=1, description="What the prompt is for.")
    owner: Owner = Field(description="Author answerable for the prompt; may not approve its own versions. An email or team:<name>.")
    template: str = Field(min_length=1, description="Template text with {{variable}} placeholders.")
    variables: list[str] = Field(description="Every variable the template uses, and no other.")
    model_config_: dict[str, Any] = Field(default_factory=dict, alias="model_config", description="Model name, temperature, ...")
    response_format: dict[str, Any] | None = Field(None, description="JSON schema the response must follow, if any.")
    commit_message: str = Field("", description="Why this version changed; recorded on the registered version.")
    evaluation: PromptEvaluation = Field(description="Offline evaluation dataset and thresholds.")

    @field_validator("variables")
    @classmethod
    def _unique(cls, variables: list[str]) -> list[str]:
        if len(set(variables)) != len(variables):
            raise ValueError("lists a variable twice")
        return variables

    @field_validator("model_config_")
    @classmethod
    def _known_model_config(cls, value: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(value) - MODEL_CONFIG_KEYS)
        if unknown:
            raise ValueError(f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(MODEL_CONFIG_KEYS))}")
        return value

    @model_validator(mode="after")
    def _variables_match_template(self) -> PromptRecipe:
        used = set(_VARIABLE.findall(self.template))
        undeclared = sorted(used - set(self.variables))
        unused = sorted(set(self.variables) - used)
        if undeclared:
            raise ValueError(f"template uses undeclared variable(s) {', '.join(undeclared)}; add them to `variables`")
        if unused:
            raise ValueError(f"variable(s) {', '.join(unused)} declared but not used in the template; remove them")
        return self

    @field_validator("evaluation")
    @classmethod
    def _dataset_exists(cls, evaluation: PromptEvaluation, info: ValidationInfo) -> PromptEvaluation:
        base = (info.context or {}).get("recipe_dir")
        if base is not None and not (base / evaluation.dataset).is_file():
            raise ValueError(f"dataset {evaluation.dataset!r} does not exist next to the recipe")
        return evaluation

    def template_variables(self) -> list[str]:
        return sorted(set(_VARIABLE.findall(self.template)))
