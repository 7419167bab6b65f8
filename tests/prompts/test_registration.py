"""`prompts/<name>` registers a version only when template or settings change."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmp_assets.prompts import registry as reg
from mmp_assets.prompts.content import content_hash
from mmp_assets.prompts.evaluation_run import PromptNotRegistered, evaluate_registered
from tests.prompts.helpers import edited, publish


def test_unchanged_content_makes_no_new_version(registry, audit, recipes):
    prompt = recipes.prompts["support_reply"]
    first = publish(registry, audit, prompt, run_id="run-1")
    again = publish(registry, audit, prompt, run_id="run-2")
    # owner, description and commit message are not content: still the same version
    retagged = publish(registry, audit, prompt.model_copy(update={"commit_message": "typo fix", "description": "other"}))

    assert first.created and not again.created and not retagged.created
    assert [v.version for v in registry.versions("support_reply")] == [1]
    assert [e["action"] for e in audit.entries(subject="support_reply")] == ["register", "alias"]


def test_changed_template_makes_a_new_candidate_with_mmp_tags(registry, audit, recipes):
    prompt = recipes.prompts["support_reply"]
    publish(registry, audit, prompt)
    changed = edited(prompt, "\nSign every reply as 'Your support team'.")
    second = publish(registry, audit, changed, run_id="run-7")

    assert second.created and second.version.version == 2
    assert registry.aliases("support_reply") == {"candidate": 2}
    tags = second.version.tags
    assert tags[reg.OWNER] == "team:support-ml" and tags[reg.AUTHOR] == "alice"
    assert tags[reg.CONTENT_HASH] == content_hash(changed) != content_hash(prompt)
    assert tags[reg.DAGSTER_RUN] == "run-7" and tags[reg.COMMIT_MESSAGE] == prompt.commit_message
    moves = [e["details"] for e in audit.entries(subject="support_reply") if e["action"] == "alias"]
    assert moves[-1] == {"alias": "candidate", "version": 2, "previous": 1, "reason": "newest version"}


def test_settings_are_content(recipes):
    prompt = recipes.prompts["support_reply"]
    warmer = prompt.model_copy(update={"model_config_": {**prompt.model_config_, "temperature": 0.9}})
    assert content_hash(warmer) != content_hash(prompt)


def test_evaluation_before_registration_says_what_to_do(mlflow_resource, registry, audit, recipes):
    prompt = recipes.prompts["support_reply"]
    with pytest.raises(PromptNotRegistered, match="materialize prompts/support_reply first"):
        evaluate_registered(prompt, Path("unused.jsonl"), "unused.jsonl", registry=registry, client=mlflow_resource.client(),
                            experiment_id="0", audit=audit, dagster_run_id="run-1")
    assert audit.entries() == []
