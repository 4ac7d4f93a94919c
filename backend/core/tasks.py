"""Background work that survives a restart: helpers around Django's Tasks API (`django_tasks`).

A task is enqueued as a row of the service's database (`django_tasks_db`), inside the caller's
transaction when there is one (it exists exactly when what asked for it was committed), and a
worker (`python manage.py run_tasks`) runs it. A task that raises is enqueued again after a growing
delay (`retried`), up to TASKS_MAX_ATTEMPTS; every attempt is a row an operator sees in the admin
(Task results: ready, running, failed, successful) and in the metrics (`chatbot_tasks`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks.base import Task
from django_tasks_db.models import DBTaskResult

from core.metrics import TASK_RUNS

logger = logging.getLogger(__name__)
T = TypeVar("T")


def retried(task: Task, *, attempt: int, kwargs: dict[str, Any], work: Callable[[], T]) -> T:
    """Run `work`; if it raises, enqueue `task` again with `kwargs` and `attempt + 1` after
    TASKS_RETRY_SECONDS * 2**(attempt - 1), then raise (this attempt is recorded as failed)."""
    name = task.name
    try:
        result = work()
    except Exception as error:
        if attempt >= settings.TASKS_MAX_ATTEMPTS:
            TASK_RUNS.labels(name, "gave_up").inc()
            logger.error("task %s failed for good attempt=%s error=%s", name, attempt, type(error).__name__)
            raise
        delay = settings.TASKS_RETRY_SECONDS * 2 ** (attempt - 1)
        again = task
        if delay and task.get_backend().supports_defer:
            again = task.using(run_after=timezone.now() + dt.timedelta(seconds=delay))
        TASK_RUNS.labels(name, "retried").inc()
        logger.warning(
            "task %s failed attempt=%s error=%s: again in %.0f s", name, attempt, type(error).__name__, delay
        )
        again.enqueue(**kwargs, attempt=attempt + 1)
        raise
    TASK_RUNS.labels(name, "succeeded").inc()
    return result


def requeue_stale(*, older_than: float | None = None) -> int:
    """Tasks claimed by a worker that died before finishing them (running for longer than any task
    takes: TASKS_STALE_SECONDS) are made ready again. Returns how many."""
    seconds = settings.TASKS_STALE_SECONDS if older_than is None else older_than
    cutoff = timezone.now() - dt.timedelta(seconds=seconds)
    stale = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=cutoff)
    count = stale.update(status=TaskResultStatus.READY, started_at=None)
    if count:
        logger.warning("requeued %s task(s) whose worker stopped while running them", count)
    return count
