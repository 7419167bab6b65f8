"""Study storage contract over Optuna's journal file (embedded) and an RDB on PostgreSQL (dev, shared by workers)."""

from __future__ import annotations

import optuna
import pytest

from mmp_resources import StudyStorageResource


@pytest.fixture(params=["journal", pytest.param("postgres", marks=pytest.mark.services)])
def studies(request, contract_project):
    storage = "journal" if request.param == "journal" else request.getfixturevalue("pg_services").databases["optuna"]
    root, env = contract_project({"optuna": {"storage": storage}})
    return StudyStorageResource(project_dir=str(root), env=env)


def objective(trial: optuna.Trial) -> float:
    return (trial.suggest_float("x", -5, 5) - 1.0) ** 2


class TestStudyStorage:
    def test_kind_matches_the_configured_storage(self, studies, request):
        assert studies.kind == ("journal" if "journal" in request.node.name else "rdb")

    def test_trials_persist_and_a_second_handle_resumes_the_study(self, studies):
        name = f"contract-{studies.kind}"
        first = optuna.create_study(study_name=name, storage=studies.storage(), sampler=optuna.samplers.TPESampler(seed=1))
        first.optimize(objective, n_trials=3)
        again = StudyStorageResource(project_dir=studies.project_dir, env=studies.env)
        resumed = optuna.load_study(study_name=name, storage=again.storage())
        resumed.optimize(objective, n_trials=2)
        assert len(resumed.trials) == 5
        assert [t.number for t in resumed.trials] == [0, 1, 2, 3, 4]
        assert resumed.best_value == min(t.value for t in resumed.trials)

    def test_user_attributes_round_trip(self, studies):
        study = optuna.create_study(study_name="attrs", storage=studies.storage(), direction="maximize")
        study.set_user_attr("mmp.recipe_version", "abc123")
        loaded = optuna.load_study(study_name="attrs", storage=studies.storage())
        assert loaded.user_attrs == {"mmp.recipe_version": "abc123"} and loaded.direction.name == "MAXIMIZE"


@pytest.mark.services
def test_four_first_constructions_on_a_fresh_postgres_database_take_turns() -> None:
    """Optuna creates its schema on first use; four at once used to collide on a duplicate type."""
    import uuid
    from concurrent.futures import ThreadPoolExecutor

    import psycopg

    from mmp_resources.studies import _rdb_storage

    name = "mmp_t" + uuid.uuid4().hex[:10]
    admin = "postgresql://postgres@127.0.0.1:5432/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        with ThreadPoolExecutor(4) as pool:
            storages = list(pool.map(lambda _: _rdb_storage(f"postgresql://postgres@127.0.0.1:5432/{name}"), range(4)))
        assert len(storages) == 4 and all(s.get_all_studies() == [] for s in storages)
        for storage in storages:
            storage.engine.dispose()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
