"""Prompt recipe and dataset validation, and the read-only `mmp prompts` commands."""

from __future__ import annotations

import sqlite3

import pytest
from mlflow.entities.model_registry.prompt_version import PromptModelConfig

from mmp_assets.cli.main import main
from mmp_assets.prompts.cases import load_cases
from mmp_assets.recipes import load_recipes
from mmp_assets.recipes.prompt import MODEL_CONFIG_KEYS
from mmp_assets.tags import VERDICT
from mmp_resources import load_config, registry_reader
from mmp_resources.errors import MmpValidationError
from tests.command_probe import run_probed
from tests.prompts.helpers import edited, publish, publish_and_evaluate


def test_model_config_keys_follow_mlflow():
    assert MODEL_CONFIG_KEYS == set(PromptModelConfig.model_fields)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  temperature: 0.2", "  temprature: 0.2", "model_config: unknown key(s) temprature; allowed:"),
        ("{{question}}", "{{question}} {{order_id}}", "undeclared variable(s) order_id; add them to `variables`"),
        ("variables: [customer_name, question, order_facts]", "variables: [customer_name, question, order_facts, tone]",
         "variable(s) tone declared but not used"),
    ],
)
def test_recipe_mistakes_name_file_and_field(prompt_project, old, new, message):
    path = prompt_project / "recipes" / "prompts" / "support_reply.yaml"
    path.write_text(path.read_text().replace(old, new))
    problems = [str(p) for p in load_recipes(prompt_project).problems]
    assert any(p.startswith("recipes/prompts/support_reply.yaml: ") and message in p for p in problems), problems


def test_bad_dataset_lines_are_all_reported_with_line_numbers(tmp_path):
    path = tmp_path / "cases.jsonl"
    path.write_text('{"id": "a", "inputs": {}, "context": "x"}\nnot json\n{"id": "a", "inputs": {}, "context": "x"}\n{"id": "b"}\n')
    with pytest.raises(MmpValidationError) as err:
        load_cases(path, "cases.jsonl")
    lines = [str(p) for p in err.value.problems]
    assert "cases.jsonl: line 2: not valid JSON" in lines[0]
    assert "cases.jsonl: line 3.id: duplicate case id 'a'" in lines[1]
    assert any(line.startswith("cases.jsonl: line 4.inputs: is required") for line in lines)


def test_list_show_diff(mlflow_resource, registry, audit, recipes, capsys):
    prompt = recipes.prompts["support_reply"]
    publish_and_evaluate(mlflow_resource, audit, recipes, prompt)
    publish(registry, audit, edited(prompt, "\nKeep it short."))
    capsys.readouterr()

    assert main(["prompts", "list"]) == 0
    listed = capsys.readouterr().out
    assert "support_reply  [candidate=v2]  v1:passed v2:unevaluated" in listed
    # the same lines from a fresh process, which imports MLflow's client and not Dagster nor the recipe models
    assert run_probed(["prompts", "list"]) == (0, listed, [])
    with pytest.MonkeyPatch.context() as patch:  # MLflow's client over the same evaluated store prints the same bytes
        patch.setattr(registry_reader, "MLFLOW_SCHEMA", "not-this-one")
        assert main(["prompts", "list"]) == 0
    assert capsys.readouterr().out == listed
    assert main(["prompts", "show", "support_reply"]) == 0
    assert "owner=team:support-ml  author=alice" in capsys.readouterr().out
    assert main(["prompts", "show", "support_reply", "2"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("Keep it short.")
    assert main(["prompts", "diff", "support_reply", "1", "2"]) == 0
    diff = capsys.readouterr().out
    assert "--- support_reply v1" in diff and "+Keep it short." in diff
    assert main(["prompts", "diff", "support_reply", "1", "7"]) == 1


def test_list_reads_the_embedded_store_without_mlflow(registry, prompt_project, empty_mlflow_store, monkeypatch, capsys):
    """`mmp prompts list` reads the SQLite registry itself, and prints exactly what MlflowClient's answers give."""
    with sqlite3.connect(empty_mlflow_store) as db:  # the reader knows the schema of the pinned MLflow, and only that
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(registry_reader.MLFLOW_SCHEMA,)]
    client = registry.client
    for n, verdict in enumerate(["passed", "failed", None, "passed"], start=1):
        tags = {VERDICT: verdict} if verdict else {}
        registry.register("reply", f"Hi {{{{name}}}} #{n}", commit_message="", tags=tags, model_config=None, response_format=None)
    for alias, version in [("production", 1), ("previous", 1), ("candidate", 3)]:  # several aliases on one version
        registry.set_alias("reply", alias, version)
    client.delete_prompt_version("reply", 4)  # deleted versions are not listed
    client.register_prompt(name="chat", template=[{"role": "user", "content": "Hi {{name}}"}])
    client.register_prompt(name="emptied", template="gone")
    client.delete_prompt_version("emptied", 1)  # a prompt left with no version
    client.create_registered_model("churn")  # a model, not a prompt
    capsys.readouterr()

    assert main(["prompts", "list"]) == 0
    listed = capsys.readouterr().out
    assert listed == ("chat  [no aliases]  v1:unevaluated\n"
                      "emptied  [no aliases]  \n"
                      "reply  [candidate=v3, previous=v1, production=v1]  v1:passed v2:failed v3:unevaluated\n")
    # a fresh process imports neither MLflow nor what opening its store costs
    assert run_probed(["prompts", "list"], heavy=("mlflow", "sqlalchemy", "pandas")) == (0, listed, [])
    uri = load_config(prompt_project).registry_uri
    assert registry_reader.read_prompts(uri) is not None
    monkeypatch.setattr(registry_reader, "MLFLOW_SCHEMA", "not-this-one")  # a schema it does not know: MlflowClient answers
    assert registry_reader.read_prompts(uri) is None
    assert main(["prompts", "list"]) == 0
    assert capsys.readouterr().out == listed
