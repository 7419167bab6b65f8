"""The environment config: deep merge, interpolation, strict schema, secrets kept out of snapshots."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmp_resources import MmpValidationError, load_config
from mmp_resources.loader import deep_merge


def _write(root: Path, name: str, text: str) -> None:
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / "config" / name).write_text(text)


def test_base_is_embedded_and_under_one_data_dir(project: Path) -> None:
    config = load_config(project)
    data_dir = project / ".mmp"
    assert config.env == "base" and config.data_dir == data_dir
    assert config.duckdb_path == str(data_dir / "mmp.duckdb")
    assert config.tracking_uri == f"sqlite:///{data_dir / 'mlflow.db'}"
    assert config.optuna_storage == f"journal:{data_dir / 'optuna' / 'journal.log'}"


def test_data_dir_is_overridable(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MMP_DATA_DIR", str(tmp_path / "elsewhere"))
    assert load_config(project).duckdb_path == str(tmp_path / "elsewhere" / "mmp.duckdb")


def test_overlay_is_deep_merged_and_selected_by_mmp_env(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(project, "staging.yaml", "hpo:\n  n_jobs: 3\n")
    monkeypatch.setenv("MMP_ENV", "staging")
    config = load_config(project)
    assert config.env == "staging"
    assert config.hpo.n_jobs == 3
    assert config.hpo.max_timeout_s == 900  # kept from base.yaml: merged, not replaced


def test_deep_merge_replaces_non_mappings_whole() -> None:
    assert deep_merge({"a": {"b": 1, "c": [1, 2]}}, {"a": {"c": [3]}}) == {"a": {"b": 1, "c": [3]}}


def test_interpolation_with_and_without_default(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(project, "staging.yaml", "online_store:\n  kind: redis\n  url: ${TEST_REDIS_URL}\n  key_prefix: ${TEST_PREFIX:-team_a}\n")
    monkeypatch.setenv("MMP_ENV", "staging")
    with pytest.raises(MmpValidationError) as err:
        load_config(project)
    assert str(err.value) == (
        "config/base.yaml + config/staging.yaml: online_store.url: environment variable TEST_REDIS_URL is not set "
        "and has no default; export it or write ${TEST_REDIS_URL:-default}"
    )
    monkeypatch.setenv("TEST_REDIS_URL", "redis://:hunter2@127.0.0.1:6379/0")
    config = load_config(project)
    assert config.online_store.url.get_secret_value() == "redis://:hunter2@127.0.0.1:6379/0"
    assert config.online_store.key_prefix == "team_a"
    assert "hunter2" not in str(config.snapshot()) and "hunter2" not in repr(config)


def test_unknown_key_is_an_error_naming_file_and_field(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(project, "staging.yaml", "hpo:\n  max_timeout: 10\n")
    monkeypatch.setenv("MMP_ENV", "staging")
    with pytest.raises(MmpValidationError, match=r"^config/base.yaml \+ config/staging.yaml: hpo.max_timeout: unknown field \(value 10\)"):
        load_config(project)


def test_wrong_value_names_what_is_allowed(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(project, "staging.yaml", "online_store:\n  kind: memcached\n")
    monkeypatch.setenv("MMP_ENV", "staging")
    with pytest.raises(MmpValidationError, match=r"online_store.kind: Input should be 'none' or 'redis' \(got 'memcached'\)"):
        load_config(project)


def test_unknown_env_lists_the_known_ones(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MMP_ENV", "qa")
    with pytest.raises(MmpValidationError, match=r"^MMP_ENV: no config/qa.yaml for environment 'qa'; allowed: base, dev, prod$"):
        load_config(project)


def test_duplicate_key_in_one_file_is_an_error(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(project, "staging.yaml", "hpo:\n  n_jobs: 2\nhpo:\n  n_jobs: 4\n")
    monkeypatch.setenv("MMP_ENV", "staging")
    with pytest.raises(MmpValidationError, match=r"^config/staging.yaml: malformed YAML at line 3, column 1: duplicate key 'hpo'"):
        load_config(project)


def test_prod_validates_when_its_variables_are_set(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "MMP_DAGSTER_PG_URL": "postgresql://dagster:s3cret@db:5432/dagster",
        "MMP_IMAGE": "registry.example.com/mmp:1",
        "MMP_MLFLOW_TRACKING_URI": "https://mlflow.example.com",
        "MMP_ARTIFACT_ROOT": "s3://mmp-artifacts/mlflow",
        "MMP_OPTUNA_STORAGE": "postgresql://optuna:s3cret@db:5432/optuna",
        "MMP_REDIS_URL": "redis://:s3cret@redis:6379/0",
        "MMP_DUCKLAKE_CATALOG_URL": "postgresql://lake:s3cret@db:5432/mmp_lake",
        "MMP_DUCKLAKE_DATA_PATH": "s3://mmp-lake/features/",
    }.items():
        monkeypatch.setenv(name, value)
    config = load_config(project, "prod")
    assert config.dagster.run_launcher.kind == "k8s"
    assert config.artifact_root == "s3://mmp-artifacts/mlflow"
    assert "s3cret" not in str(config.snapshot())


def test_run_links_keep_the_scheme_and_drop_credentials(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mmp_resources.tracking import MlflowResource

    _write(project, "staging.yaml", "mlflow:\n  tracking_uri: https://alice:s3cret@mlflow.example.com:8443/team\n")
    resource = MlflowResource(project_dir=str(project), env="staging")
    assert resource.run_url("3", "abc") == "https://mlflow.example.com:8443/team/#/experiments/3/runs/abc"


# -- config values that used to be accepted and then broke something later ---------------------------------


@pytest.mark.parametrize(
    ("overlay", "message"),
    [
        ("optuna:\n  storage: redis://127.0.0.1/0\n",
         "config/base.yaml + config/staging.yaml: optuna.storage: scheme 'redis' is not supported; allowed: memory, "
         "journal, journal:<path>, or a URL with scheme postgresql, mysql, sqlite (optionally +driver) "
         "(got a value not shown, as it may hold a secret)"),
        ("alerts:\n  webhook_url: hooks.example.com/mmp\n",
         "config/base.yaml + config/staging.yaml: alerts.webhook_url: must be an http:// or https:// URL with a host, "
         "else every alert would be dropped (got a value not shown, as it may hold a secret)"),
        ("dagster:\n  storage:\n    kind: postgres\n",
         "config/base.yaml + config/staging.yaml: dagster.storage: kind 'postgres' needs dagster.storage.postgres_url "
         "(from an environment variable) (got a value not shown, as it may hold a secret)"),
        ("online_store:\n  kind: redis\n",
         "config/base.yaml + config/staging.yaml: online_store: kind 'redis' needs online_store.url (a redis:// URL, "
         "from an environment variable) (got a value not shown, as it may hold a secret)"),
        ("data_dir: ${MMP_DATA_DIR:-.mmp\n",
         "config/base.yaml + config/staging.yaml: data_dir: '${MMP_DATA_DIR:-.mmp' is not a complete variable "
         "reference; write ${NAME} or ${NAME:-default}"),
    ],
    ids=["optuna-scheme", "webhook", "postgres-no-url", "redis-no-url", "unterminated"],
)
def test_config_that_would_break_later_is_one_line(project: Path, monkeypatch: pytest.MonkeyPatch, overlay: str, message: str) -> None:
    _write(project, "staging.yaml", overlay)
    monkeypatch.setenv("MMP_ENV", "staging")
    with pytest.raises(MmpValidationError) as caught:
        load_config(project)
    assert str(caught.value) == message


def test_a_value_from_the_environment_is_never_echoed(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A misspelled key or a bad value that came from an environment variable: the line names the field only."""
    _write(project, "staging.yaml", "mlflow:\n  trackng_uri: ${TEST_TRACKING}\nhpo:\n  n_jobs: ${TEST_JOBS}\n")
    monkeypatch.setenv("MMP_ENV", "staging")
    monkeypatch.setenv("TEST_TRACKING", "http://admin:hunter2@mlflow.internal")
    monkeypatch.setenv("TEST_JOBS", "hunter2")
    with pytest.raises(MmpValidationError) as caught:
        load_config(project)
    text = str(caught.value)
    assert "hunter2" not in text
    assert "mlflow.trackng_uri: unknown field (value a value not shown, as it may hold a secret)" in text
    assert "hpo.n_jobs:" in text


def test_an_invalid_cron_is_one_line_in_validate_and_at_load(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mmp_resources.loader import cron_problems

    _write(project, "staging.yaml", "automation:\n  drift_cron: '0 25 * * *'\n")
    monkeypatch.setenv("MMP_ENV", "staging")
    problems = cron_problems(load_config(project))
    assert [str(p) for p in problems] == [
        "config/base.yaml + config/staging.yaml: automation.drift_cron: '0 25 * * *' is not a valid cron schedule; "
        "write five fields, e.g. '0 6 * * *'"
    ]


def test_yaml_aliases_cannot_expand_without_bound(tmp_path: Path) -> None:
    """A "billion laughs" file is refused in milliseconds, before anything walks the expanded tree."""
    from mmp_resources.loader import read_yaml

    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    (tmp_path / "laughs.yaml").write_text("\n".join(lines) + "\n")
    with pytest.raises(MmpValidationError) as caught:
        read_yaml(tmp_path / "laughs.yaml", tmp_path)
    assert str(caught.value) == "laughs.yaml: malformed YAML: aliases expand to 490,329,064 nodes; at most 100,000 are allowed"
    (tmp_path / "shared.yaml").write_text("base: &space {low: 1, high: 3}\ndepth: *space\nwidth: *space\n")
    assert read_yaml(tmp_path / "shared.yaml")["width"] == {"low": 1, "high": 3}  # ordinary reuse still reads
