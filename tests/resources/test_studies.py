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
