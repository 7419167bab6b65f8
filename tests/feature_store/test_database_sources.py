"""Database sources against the real PostgreSQL on 127.0.0.1: tables, parameterised queries, one read,
fingerprints that follow the rows, and one masked line for every way a connection or query can fail."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from mmp_assets.feature_store import read_source_frame
from mmp_assets.feature_store.databases import DatabaseError
from mmp_assets.feature_store.fingerprints import relation_fingerprint
from mmp_assets.feature_store.observation import observe_source
from mmp_assets.feature_store.source_assets import build_source_asset
from mmp_assets.feature_store.views import materialize_view
from tests.feature_store.warehouse import URL_ENV, private_warehouse

pytestmark = pytest.mark.services
INJECTION = "x' OR '1'='1"
ORDERS = [
    "CREATE SCHEMA sales",
    "CREATE TABLE sales.orders (id integer, customer text, placed_at timestamp, amount numeric(10, 2))",
    "INSERT INTO sales.orders VALUES (1, 'ann', '2024-01-01 09:00', 12.50), (2, 'bob', '2024-01-02 10:00', NULL), "
    "(3, 'cy', '2024-01-03 11:00', 7.25)",
]


@pytest.fixture
def warehouse(monkeypatch):
    with private_warehouse() as found:
        found.execute(*ORDERS)
        monkeypatch.setenv(URL_ENV, found.url)
        yield found


def _db_source(project, name: str, **fields) -> None:
    project._write(f"sources/{name}.yaml", {"name": name, "description": f"{name} rows", "owner": "team:test",
                                            "connection": {"url_env": URL_ENV}, **fields})


def _observe(project, name: str, params: dict | None = None):
    recipes = project.recipes()
    with duckdb.connect() as conn:
        return observe_source(conn, name, recipes, project.root, params)


def test_a_table_and_a_parameterised_query_read_as_sources(fs_project, warehouse):
    _db_source(fs_project, "orders", table="sales.orders", schema={"id": "INTEGER", "amount": "DECIMAL(10,2)"})
    _db_source(fs_project, "recent", query="SELECT id, customer FROM sales.orders WHERE placed_at >= {{ since }} ORDER BY id",
               params={"since": "2024-01-02"})
    recipes = fs_project.recipes()
    with duckdb.connect() as conn:
        assert read_source_frame(conn, "orders", recipes, fs_project.root)["customer"].tolist() == ["ann", "bob", "cy"]
        assert read_source_frame(conn, "recent", recipes, fs_project.root)["id"].tolist() == [2, 3]
        assert read_source_frame(conn, "recent", recipes, fs_project.root, {"since": "2024-01-03"})["id"].tolist() == [3]
        # the database is detached after each read: its URL is not left on the connection
        assert [r[0] for r in conn.execute("SELECT database_name FROM duckdb_databases() WHERE NOT internal").fetchall()] == ["memory"]
    assert _observe(fs_project, "orders").columns["placed_at"] == "TIMESTAMP"


def test_a_changed_row_changes_the_fingerprint(fs_project, warehouse):
    _db_source(fs_project, "orders", table="sales.orders")
    first = _observe(fs_project, "orders")
    assert _observe(fs_project, "orders") == first
    warehouse.execute("UPDATE sales.orders SET amount = 12.51 WHERE id = 1")
    changed = _observe(fs_project, "orders")
    assert changed.schema_fingerprint == first.schema_fingerprint and changed.content_fingerprint != first.content_fingerprint
    warehouse.execute("UPDATE sales.orders SET amount = 12.50 WHERE id = 1")
    assert _observe(fs_project, "orders") == first


def test_an_injection_attempt_stays_data(fs_project, warehouse):
    _db_source(fs_project, "by_customer", query="SELECT * FROM sales.orders WHERE customer = {{ who }}", params={"who": "ann"})
    recipes = fs_project.recipes()
    with duckdb.connect() as conn:
        assert len(read_source_frame(conn, "by_customer", recipes, fs_project.root)) == 1
        assert read_source_frame(conn, "by_customer", recipes, fs_project.root, {"who": INJECTION}).empty
    with duckdb.connect() as conn:
        assert len(read_source_frame(conn, "by_customer", recipes, fs_project.root, {"who": "ann"})) == 1  # the table is intact


def test_a_view_uses_and_fingerprints_the_same_single_read(fs_project, warehouse):
    # random() differs on every read: the fingerprint matches the view's rows only if both came from one read
    _db_source(fs_project, "noisy", query="SELECT customer, placed_at, random() AS draw FROM sales.orders")
    fs_project.view("noisy_view", entity="customer", timestamp="placed_at", source="noisy")
    recipes = fs_project.recipes()
    with fs_project.connect() as conn:
        outcome = materialize_view(conn, recipes.views["noisy_view"], recipes, fs_project.root, keep=10)
        content, rows = relation_fingerprint(conn, f'SELECT * FROM "{outcome.entry.table_name}"')
    assert rows == 3 and outcome.entry.source_fingerprints["noisy"]["content"] == content


def test_the_source_asset_observes_a_database(fs_project, warehouse, instance):
    _db_source(fs_project, "orders", table="sales.orders")
    recipes = fs_project.recipes()
    asset = build_source_asset(recipes.sources["orders"], recipes, fs_project.root)
    spec = next(iter(asset.specs))
    assert "postgres" in spec.kinds and spec.metadata["mmp/origin"] == f"postgres ${URL_ENV}: sales.orders"
    job = dg.Definitions(assets=[asset]).resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(instance=instance)
    observed = [e.event_specific_data.asset_observation for e in result.all_events if e.event_type_value == "ASSET_OBSERVATION"]
    assert [o.data_version for o in observed] == [_observe(fs_project, "orders").data_version]


FAILURES = {
    "unset variable": (None, {"table": "sales.orders"},
                       f"recipes/sources/broken.yaml: connection.url_env: environment variable {URL_ENV} is not set; "
                       "export it with the database URL, such as postgresql://user:password@host:5432/database"),
    "not a postgres URL": ("mysql://reader:{password}@127.0.0.1/shop", {"table": "sales.orders"},
                           f"recipes/sources/broken.yaml: connection.url_env: {URL_ENV} holds a URL starting 'mysql://'; "
                           "a postgres source needs postgresql:// or postgres://"),
    "unreachable server": ("postgresql://reader:{password}@127.0.0.1:{closed_port}/shop", {"table": "sales.orders"},
                           f"recipes/sources/broken.yaml: connection: cannot connect to ${URL_ENV}: IO Error: Unable to connect to Postgres at "
                           '"postgresql://reader:***@127.0.0.1:{closed_port}/shop?connect_timeout=10": connection to server at "127.0.0.1", '
                           "port {closed_port} failed: Connection refused"),
    "missing database": ("{missing}", {"table": "sales.orders"},
                         f"recipes/sources/broken.yaml: connection: cannot connect to ${URL_ENV}: IO Error: Unable to connect to Postgres at "
                         '"postgresql://'),
    "missing table": ("{url}", {"table": "sales.order"},
                      "recipes/sources/broken.yaml: table: the database read failed: Catalog Error: Table with name order does not exist!"),
    "query error": ("{url}", {"query": "SELECT no_such_column FROM sales.orders"},
                    'recipes/sources/broken.yaml: query: the database read failed: Binder Error: Referenced column "no_such_column" not found'),
}


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_a_broken_connection_or_query_is_one_masked_line(fs_project, warehouse, instance, monkeypatch, case):
    from sqlalchemy.engine import make_url

    from mmp_resources.sandbox import _free_port

    url_template, fields, expected = FAILURES[case]
    values = {"password": warehouse.password, "closed_port": _free_port(), "url": warehouse.url,
              "missing": make_url(warehouse.url).set(database="mmp_no_such_database").render_as_string(hide_password=False)}
    if url_template is None:
        monkeypatch.delenv(URL_ENV)
    else:
        monkeypatch.setenv(URL_ENV, url_template.format(**values))
    expected = expected.format(**values)
    _db_source(fs_project, "broken", **fields)
    with pytest.raises(DatabaseError) as raised:
        _observe(fs_project, "broken")
    message = str(raised.value)
    assert message.startswith(expected) and "\n" not in message and warehouse.password not in message, message
    # the observation in Dagster fails with the same line, and nothing it records holds the password
    recipes = fs_project.recipes()
    asset = build_source_asset(recipes.sources["broken"], recipes, fs_project.root)
    result = dg.Definitions(assets=[asset]).resolve_implicit_global_asset_job_def().execute_in_process(instance=instance, raise_on_error=False)
    failure = result.get_step_failure_events()[0].event_specific_data.error
    assert failure.message.strip() == f"dagster._core.definitions.events.Failure: {message}"
    logs = instance.all_logs(result.run_id)
    assert logs and not [e for e in logs if warehouse.password in str(e.dagster_event or "") + str(e.user_message)]
