"""The Celery app mmp's workers run (`celery -A mmp_resources.celery_app worker`, started by `mmp services up --workers N`).

It is dagster-celery's own app and step task, built the way `dagster-celery worker start -y <yaml>` builds
them, but from mmp's environment config: the broker URL stays in the environment instead of the plain
`dagster_celery_config.py` file that command writes under DAGSTER_HOME.
"""

from __future__ import annotations

from dagster_celery.tasks import create_task

from mmp_resources.executors import celery_app
from mmp_resources.loader import load_config
from mmp_resources.project import project_root

app = celery_app(load_config(project_root()))
execute_plan = create_task(app)
