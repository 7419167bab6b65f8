"""SQL templates: values are bound parameters, never SQL; missing variables are named."""

from __future__ import annotations

import pandas as pd
import pytest

from mmp_assets.feature_store.templates import TemplateError, render_sql
from mmp_assets.feature_store.views import materialize_view, read_feature_view

ROWS = pd.DataFrame({"user_id": ["a", "b", "c"], "t": pd.to_datetime(["2024-01-01"] * 3), "score": [1, 2, 3]})
INJECTION = "x' OR '1'='1"


@pytest.fixture
def project(fs_project):
    fs_project.source("raw", ROWS)
    fs_project.sql_file("picked.sql", "SELECT * FROM raw WHERE user_id = {{ who }} {% if floor %}AND score >= {{ floor }}{% endif %}\n")
    return fs_project


def _view(project, params: dict, run_params: dict | None = None):
    project.view("picked", entity="user_id", timestamp="t", source={"sql_file": "picked.sql", "params": params})
    recipes = project.recipes()
    with project.connect() as conn:
        outcome = materialize_view(conn, recipes.views["picked"], recipes, project.root, keep=10, params=run_params)
        return outcome, read_feature_view(conn, "picked") if outcome.entry else None


def test_placeholders_not_values_reach_the_sql_text():
    rendered = render_sql("SELECT * FROM t WHERE name = {{ who }} AND n > {{ n }}", {"who": INJECTION, "n": 1, "unused": 2}, "q.sql")
    assert rendered.sql == "SELECT * FROM t WHERE name = $who AND n > $n"
    assert rendered.params == {"n": 1, "who": INJECTION}


def test_an_injection_attempt_is_data(project):
    outcome, rows = _view(project, {"who": INJECTION, "floor": 0})
    assert outcome.status == "published" and rows.empty  # no user is literally named x' OR '1'='1


def test_params_and_run_config_values_filter_as_values(project):
    _, rows = _view(project, {"who": "b", "floor": 0})
    assert rows["user_id"].tolist() == ["b"]
    _, rows = _view(project, {"who": "b", "floor": 0}, run_params={"who": "c"})
    assert rows["user_id"].tolist() == ["c"]


def test_a_missing_variable_names_the_template_and_the_variable(project):
    with pytest.raises(TemplateError, match=r"recipes/features/picked.sql: template variable 'floor' has no value"):
        _view(project, {"who": "a"})


def test_sandbox_refuses_python_internals():
    with pytest.raises(Exception, match="unsafe|access"):
        render_sql("{{ ''.__class__.__mro__ }}", {}, "evil.sql")


def test_a_failing_query_names_the_template(project):
    project.sql_file("picked.sql", "SELECT no_such_column FROM raw WHERE user_id = {{ who }}\n")
    with pytest.raises(ValueError, match=r"recipes/features/picked.sql: the view's query failed: Binder Error"):
        _view(project, {"who": "a"})


@pytest.mark.parametrize(
    ("sql", "found"),
    [
        ("SELECT * FROM raw WHERE user_id = {{ who }}; DROP TABLE mmp_catalog", "SELECT, DROP"),
        ("COPY (SELECT * FROM raw WHERE user_id = {{ who }}) TO '/tmp/mmp_exfiltrated.csv'", "COPY"),
        ("ATTACH '/tmp/elsewhere.duckdb' AS x", "ATTACH"),
    ],
    ids=["second-statement", "copy-to", "attach"],
)
def test_a_view_query_is_exactly_one_read_only_select(project, sql: str, found: str):
    """Refused before DuckDB runs any of it: the catalog and the published version are untouched."""
    _view(project, {"who": "a", "floor": 0})
    project.sql_file("picked.sql", sql + "\n")
    with pytest.raises(TemplateError) as caught:
        _view(project, {"who": "a", "floor": 0})
    assert str(caught.value) == (
        "recipes/features/picked.sql: must be exactly one read-only query (SELECT, WITH ... SELECT, FROM ...); "
        f"found {found}")
    with project.connect() as conn:
        assert read_feature_view(conn, "picked")["user_id"].tolist() == ["a"]
