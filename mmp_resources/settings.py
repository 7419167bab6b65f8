"""The environment config schema: what `config/base.yaml` and its overlays may say.

Every field is described where it is declared; unknown keys are errors. Credentials are `SecretStr`
so they never print in a repr, a log line or a config snapshot (`PlatformConfig.snapshot()`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DuckDBConfig(_Strict):
    path: str = Field("mmp.duckdb", description="DuckDB file of the offline feature store; relative paths are under data_dir.")


class MlflowConfig(_Strict):
    tracking_uri: SecretStr = Field(
        SecretStr("sqlite:///mlflow.db"),
        description="MLflow tracking URI. `sqlite:///<relative>` is under data_dir; may carry credentials, so it is secret.",
    )
    registry_uri: SecretStr | None = Field(None, description="Model/prompt registry URI; defaults to the tracking URI.")
    artifact_root: str = Field(
        "mlartifacts", description="Artifact location for new experiments (local folder under data_dir, or s3://, gs://, ...)."
    )
    experiment_prefix: str = Field("mmp", description="Experiments are named `<prefix>/<recipe>`.")
    backend_store_uri: SecretStr | None = Field(
        None,
        description="Backend store of the tracking server `mmp services up` starts (e.g. postgresql://...); "
        "only used when tracking_uri is an http URL on loopback.",
    )
    auth: Literal["none", "basic"] = Field(
        "none",
        description="`basic`: the tracking server runs MLflow's authentication (`mlflow server --app-name basic-auth`); "
        "who registers and who approves is the user of MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD, verified "
        "by the server. `none`: the identity is MMP_USER or the OS user (a guard against accidents only).",
    )
    auth_cache_ttl_s: int = Field(
        60, ge=0,
        description="basic: seconds the tracking server `mmp services up` starts keeps a verified username/password "
        "(MLflow's `auth_cache_ttl_seconds`; 0 turns it off). Without it every request re-runs the scrypt password "
        "check (~0.1 s of CPU, up to three times per request). A password changed or a user deleted through MLflow's "
        "API takes effect at once; one changed directly in the user store, after at most this long.",
    )

    @model_validator(mode="after")
    def _auth_needs_a_server(self) -> MlflowConfig:
        scheme = urlsplit(self.tracking_uri.get_secret_value()).scheme
        if self.auth == "basic" and scheme not in ("http", "https"):
            # a database or file store has no users: whoever reaches it writes as anyone, so "basic" would be a false claim
            raise ValueError(f"auth 'basic' needs an http:// or https:// tracking_uri (a tracking server running --app-name "
                             f"basic-auth), not scheme {scheme or 'none'!r}; set auth: none (MMP_MLFLOW_AUTH=none) for a store without a server")
        return self


# Schemes of the databases Optuna's RDB storage (SQLAlchemy) is documented and tested on.
OPTUNA_RDB_SCHEMES = ("postgresql", "mysql", "sqlite")


class OptunaConfig(_Strict):
    storage: SecretStr = Field(
        SecretStr("journal"),
        description="`memory`, `journal` (a journal file under data_dir, resumable), `journal:<path>`, or a "
        "database URL shared by workers (postgresql://, mysql://, sqlite:///; a `+driver` suffix is allowed).",
    )

    @field_validator("storage")
    @classmethod
    def _known_storage(cls, value: SecretStr) -> SecretStr:
        text = value.get_secret_value()
        if text in ("memory", "journal") or (text.startswith("journal:") and len(text) > len("journal:")):
            return value
        scheme = urlsplit(text).scheme if "://" in text else ""
        if scheme.split("+")[0] not in OPTUNA_RDB_SCHEMES:
            said = f"scheme {scheme!r} is not supported" if scheme else "not a storage name or a database URL"
            raise ValueError(f"{said}; allowed: memory, journal, journal:<path>, or a URL with scheme "
                             + ", ".join(OPTUNA_RDB_SCHEMES) + " (optionally +driver)")
        return value


class HpoConfig(_Strict):
    max_timeout_s: float = Field(1800, gt=0, description="Cap on one search's wall time; the stricter of this and the recipe wins.")
    n_jobs: int = Field(1, ge=1, description="Cap on parallel trials in one process; the stricter of this and the recipe wins.")
    max_trials: int | None = Field(None, ge=1, description="Optional cap on trials per search in this environment.")


# Schemes of the PostgreSQL URLs a DuckLake catalog may be reached at (libpq accepts both).
DUCKLAKE_CATALOG_SCHEMES = ("postgresql", "postgres")


class DuckLakeConfig(_Strict):
    catalog_url: SecretStr | None = Field(
        None,
        description="PostgreSQL database holding the DuckLake catalog, e.g. postgresql://user:password@host:5432/mmp_lake; "
        "from an environment variable (MMP_DUCKLAKE_CATALOG_URL); may carry a password, so it is secret.",
    )
    data_path: str = Field(
        "ducklake",
        description="Where DuckLake writes the Parquet files of every table: a folder (relative: under data_dir) or an "
        "object-storage URI such as s3://bucket/mmp/lake/ that every run reaches.",
    )
    max_retries: int = Field(
        20, ge=0, description="How often a commit that lost a race with another writer is retried before it fails."
    )
    connect_timeout_s: int = Field(
        10, ge=2, description="Seconds to wait for the catalog's PostgreSQL server before failing in one line (libpq's "
        "connect_timeout; it takes whole seconds, at least 2)."
    )
    publish_wait_s: float = Field(
        900, gt=0, description="Seconds a run waits while another run publishes the same feature view, training set or "
        "predictions table (a PostgreSQL advisory lock on the catalog database) before it refuses in one line."
    )
    cleanup_after_s: float = Field(
        3600, ge=0, description="Parquet files no version needs any more (retired versions, dropped tables, writes "
        "killed midway) are deleted by DuckLake's own cleanup once they have been unneeded this long; readers "
        "and writers that run longer than this on an old snapshot could lose files, so keep it above the longest run."
    )

    @field_validator("catalog_url")
    @classmethod
    def _postgres_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value():
            scheme = urlsplit(value.get_secret_value()).scheme
            if scheme not in DUCKLAKE_CATALOG_SCHEMES:
                raise ValueError(f"scheme {scheme!r} is not supported; allowed: postgresql://, postgres:// "
                                 "(mmp keeps the DuckLake catalog in PostgreSQL)")
        return value


class FeatureStoreConfig(_Strict):
    kind: Literal["duckdb", "ducklake"] = Field(
        "duckdb",
        description="Offline store implementation: `duckdb` (one DuckDB file, duckdb.path; one writer at a time through "
        "dagster.duckdb_pool) or `ducklake` (DuckLake: catalog in PostgreSQL, Parquet under ducklake.data_path; "
        "many processes on many hosts read and write at once).",
    )
    ducklake: DuckLakeConfig = Field(default_factory=DuckLakeConfig, description="DuckLake catalog and data path (kind ducklake).")
    retention_versions: int = Field(10, ge=1, description="Keep the last N versions per feature view (pinned versions are always kept).")
    allowed_directories: list[str] = Field(
        default_factory=list,
        description="Folders (or URI prefixes such as s3://bucket/) recipe SQL and source paths may read besides the project "
        "and data_dir; relative paths are under the project. DuckDB refuses every other file.",
    )

    @model_validator(mode="after")
    def _ducklake_needs_catalog(self) -> FeatureStoreConfig:
        url = self.ducklake.catalog_url
        if self.kind == "ducklake" and (url is None or not url.get_secret_value()):
            raise ValueError("kind 'ducklake' needs feature_store.ducklake.catalog_url (a postgresql:// URL, from "
                             "MMP_DUCKLAKE_CATALOG_URL)")
        return self


class OnlineStoreConfig(_Strict):
    kind: Literal["none", "redis"] = Field("none", description="Online feature store backend.")
    url: SecretStr | None = Field(None, description="Redis URL, e.g. redis://127.0.0.1:6379/0 (may carry a password).")
    key_prefix: str = Field("mmp", description="Prefix of every key mmp writes, so several projects share one Redis.")

    @model_validator(mode="after")
    def _redis_needs_url(self) -> OnlineStoreConfig:
        if self.kind == "redis" and self.url is None:
            raise ValueError("kind 'redis' needs online_store.url (a redis:// URL, from an environment variable)")
        return self


class DagsterStorageConfig(_Strict):
    kind: Literal["sqlite", "postgres"] = Field("sqlite", description="Where the Dagster instance keeps runs, events and schedules.")
    postgres_url: SecretStr | None = Field(None, description="PostgreSQL URL for kind=postgres (from an environment variable).")

    @model_validator(mode="after")
    def _postgres_needs_url(self) -> DagsterStorageConfig:
        if self.kind == "postgres" and self.postgres_url is None:
            raise ValueError("kind 'postgres' needs dagster.storage.postgres_url (from an environment variable)")
        return self


class RunLauncherConfig(_Strict):
    kind: Literal["default", "docker", "k8s"] = Field("default", description="Dagster run launcher: in-process default, Docker or Kubernetes.")
    image: str | None = Field(None, description="Container image for docker/k8s launchers.")
    namespace: str | None = Field(None, description="Kubernetes namespace for the k8s launcher.")
    instance_config_map: str = Field(
        "mmp-dagster-instance", description="k8s: ConfigMap holding the generated dagster.yaml, mounted into run pods."
    )
    service_account: str | None = Field(None, description="k8s: service account the run pods use.")
    env_secrets: list[str] = Field(
        default_factory=list, description="k8s: names of Secrets whose keys become environment variables of run pods (MMP_* URLs)."
    )
    env_vars: list[str] = Field(
        default_factory=list,
        description="Names of environment variables passed from the launcher's environment to each run (values are never written).",
    )
    network: str | None = Field(None, description="docker: network the run containers join (to reach PostgreSQL, Redis, MLflow).")


# Broker schemes the Celery executor is set up for here (Redis, as dev's compose of services runs it).
CELERY_BROKER_SCHEMES = ("redis", "rediss")


class ExecutorConfig(_Strict):
    kind: Literal["in_process", "celery", "k8s"] = Field(
        "in_process",
        description="Where a run's steps execute: `in_process` (the run's own process), `celery` (dagster-celery workers "
        "started by `mmp services up --workers N`, Redis as broker) or `k8s` (dagster-k8s `k8s_job_executor`: a Kubernetes "
        "Job per step, image/namespace/secrets from dagster.run_launcher).",
    )
    broker_url: SecretStr | None = Field(
        None, description="celery: the Redis broker (and result backend) URL, e.g. redis://127.0.0.1:6379/1; may carry a password."
    )
    key_prefix: str = Field(
        "mmp", min_length=1, description="celery: prefix of every Redis key the broker and result backend write, so projects share one Redis."
    )
    queue: str = Field("dagster", min_length=1, description="celery: queue the steps are sent to and the workers listen on.")
    max_concurrent: int | None = Field(None, ge=1, description="k8s: most step pods running at once within one run (none: no limit).")

    @field_validator("broker_url")
    @classmethod
    def _redis_url(cls, value: SecretStr | None) -> SecretStr | None:
        scheme = urlsplit(value.get_secret_value()).scheme if value is not None else "redis"
        if scheme not in CELERY_BROKER_SCHEMES:
            raise ValueError(f"scheme {scheme!r} is not supported; allowed: redis://, rediss:// (Redis is the broker mmp runs Celery on)")
        return value

    @model_validator(mode="after")
    def _celery_needs_broker(self) -> ExecutorConfig:
        if self.kind == "celery" and self.broker_url is None:
            raise ValueError("kind 'celery' needs dagster.executor.broker_url (a redis:// URL, from MMP_CELERY_BROKER_URL)")
        return self


class DagsterConfig(_Strict):
    storage: DagsterStorageConfig = Field(default_factory=DagsterStorageConfig, description="Instance storage.")
    run_launcher: RunLauncherConfig = Field(default_factory=RunLauncherConfig, description="How runs are launched.")
    executor: ExecutorConfig = Field(default_factory=ExecutorConfig, description="Where each run's steps execute.")
    duckdb_pool: str = Field(
        "mmp_duckdb", description="Concurrency pool every DuckDB-writing asset is serialized through (feature_store.kind duckdb only)."
    )

    @model_validator(mode="after")
    def _k8s_steps_need_k8s_runs(self) -> DagsterConfig:
        if self.executor.kind == "k8s" and self.run_launcher.kind != "k8s":
            raise ValueError("executor kind 'k8s' needs dagster.run_launcher.kind 'k8s' (its image, namespace and secrets are the steps' too)")
        return self


class AlertsConfig(_Strict):
    webhook_url: SecretStr | None = Field(None, description="POST target (an http:// or https:// URL) for gate failures, drift breaches and run failures.")

    @field_validator("webhook_url")
    @classmethod
    def _http_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value():  # empty (an unset variable's default): no alerts
            parts = urlsplit(value.get_secret_value())
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError("must be an http:// or https:// URL with a host, else every alert would be dropped")
        return value


class AutomationConfig(_Strict):
    source_observation_cron: str = Field("*/15 * * * *", description="How often sources are observed for schema/content changes.")
    drift_cron: str = Field("0 6 * * *", description="When `<recipe>/drift` runs against the newest scoring data.")
    retrain_cooldown_minutes: int = Field(360, ge=0, description="Minimum time between two drift-triggered retrains of one recipe.")
    daily_retrain_budget: int = Field(3, ge=0, description="Most drift-triggered retrains per recipe per day.")
    sensor_interval_seconds: int = Field(
        30, ge=1, description="Least time between two evaluations of each mmp sensor (schema change, drift, retry, failure alert, automation)."
    )


class ServingConfig(_Strict):
    host: str = Field("127.0.0.1", description="Address `mmp serve` binds to.")
    port: int = Field(8765, ge=1, le=65535, description="Port `mmp serve` listens on.")
    reload_interval_s: float = Field(
        10.0, ge=0, description="How often `mmp serve` checks the registry alias and the feature store for a newer version (0: never)."
    )


class PlatformConfig(_Strict):
    env: str = Field("base", description="Name of the active environment (set by the loader from MMP_ENV).")
    data_dir: Path = Field(Path(".mmp"), description="Where every embedded store lives; relative to the project root.")
    duckdb: DuckDBConfig = Field(default_factory=DuckDBConfig, description="Offline feature store.")
    mlflow: MlflowConfig = Field(default_factory=MlflowConfig, description="Tracking and registry.")
    optuna: OptunaConfig = Field(default_factory=OptunaConfig, description="Study storage.")
    hpo: HpoConfig = Field(default_factory=HpoConfig, description="Environment caps on tuning.")
    feature_store: FeatureStoreConfig = Field(default_factory=FeatureStoreConfig, description="Feature view versioning.")
    online_store: OnlineStoreConfig = Field(default_factory=OnlineStoreConfig, description="Online feature store.")
    dagster: DagsterConfig = Field(default_factory=DagsterConfig, description="Dagster instance and execution.")
    alerts: AlertsConfig = Field(default_factory=AlertsConfig, description="Alert channel.")
    automation: AutomationConfig = Field(default_factory=AutomationConfig, description="Sensors and schedules.")
    serving: ServingConfig = Field(default_factory=ServingConfig, description="Online scoring server.")

    # -- resolved locations ---------------------------------------------------------------
    def under_data_dir(self, value: str) -> str:
        """A relative local path resolved under data_dir; URIs and absolute paths unchanged."""
        if "://" in value or Path(value).is_absolute():
            return value
        return str(self.data_dir / value)

    def _sqlite_under_data_dir(self, uri: str) -> str:
        prefix = "sqlite:///"
        if uri.startswith(prefix) and not uri.startswith("sqlite:////"):
            return prefix + str((self.data_dir / uri[len(prefix):]).resolve())
        return uri

    @property
    def duckdb_path(self) -> str:
        return self.under_data_dir(self.duckdb.path)

    @property
    def ducklake_data_path(self) -> str:
        """DuckLake's data path: an object-storage URI unchanged, a local folder absolute, with a trailing slash."""
        path = self.under_data_dir(self.feature_store.ducklake.data_path)
        path = path if "://" in path else str(Path(path).resolve())
        return path.rstrip("/") + "/"

    @property
    def feature_store_pool(self) -> str | None:
        """The Dagster pool DuckDB-writing assets take a slot of: the single-writer file needs it, DuckLake does not."""
        return self.dagster.duckdb_pool if self.feature_store.kind == "duckdb" else None

    @property
    def tracking_uri(self) -> str:
        return self._sqlite_under_data_dir(self.mlflow.tracking_uri.get_secret_value())

    @property
    def registry_uri(self) -> str:
        uri = self.mlflow.registry_uri.get_secret_value() if self.mlflow.registry_uri else None
        return self._sqlite_under_data_dir(uri) if uri else self.tracking_uri

    @property
    def artifact_root(self) -> str:
        root = self.under_data_dir(self.mlflow.artifact_root)
        return root if "://" in root else Path(root).resolve().as_uri()

    @property
    def optuna_storage(self) -> str:
        """`memory`, an absolute journal file path (`journal:<path>`), or an RDB URL."""
        value = self.optuna.storage.get_secret_value()
        if value == "journal":
            return "journal:" + str((self.data_dir / "optuna" / "journal.log").resolve())
        if value.startswith("journal:"):
            return "journal:" + str(Path(self.under_data_dir(value.removeprefix("journal:"))).resolve())
        return value

    def cron_problems(self) -> list[tuple[str, str]]:
        """(field, message) for each automation cron Dagster would refuse; imports Dagster, so callers that
        already need it (validate, the definitions) ask, and loading the config stays light."""
        from dagster._utils.schedules import is_valid_cron_string

        crons = {"automation.source_observation_cron": self.automation.source_observation_cron,
                 "automation.drift_cron": self.automation.drift_cron}
        return [(field, f"{value!r} is not a valid cron schedule; write five fields, e.g. '0 6 * * *'")
                for field, value in crons.items() if not is_valid_cron_string(value)]

    def snapshot(self) -> dict:
        """The config as plain data with every secret masked: safe for logs, metadata and MLflow."""
        return self.model_dump(mode="json")  # SecretStr dumps as '**********'


def secret_fields(model: type[BaseModel], prefix: str = "") -> set[str]:
    """Dotted paths of every SecretStr field: their values are never quoted in a problem line."""
    found = set()
    for name, info in model.model_fields.items():
        path = f"{prefix}.{name}" if prefix else name
        annotation = str(info.annotation)
        if "SecretStr" in annotation:
            found.add(path)
        elif isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
            found |= secret_fields(info.annotation, path)
    return found
