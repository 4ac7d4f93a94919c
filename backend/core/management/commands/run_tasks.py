"""`python manage.py run_tasks`: the worker of the background tasks (mail, chat titles).

django-tasks-db's worker, which claims each ready task in a transaction (several workers, on one
server or many, never run the same task), with one thing added: tasks a killed worker had claimed
and never finished are made ready again once they are older than TASKS_STALE_SECONDS.
Stops on SIGTERM or Ctrl-C after the task it is running.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.utils.crypto import get_random_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS
from django_tasks_db.management.commands.db_worker import Worker

from core.tasks import requeue_stale


class RecoveringWorker(Worker):
    def run(self) -> None:
        self.batch = True  # the library's loop runs what is ready, then hands back here
        while self.running:
            requeue_stale()
            super().run()
            if self.running:
                time.sleep(self.interval)


class Command(BaseCommand):
    help = "Run the background tasks (mail, chat titles) until stopped."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between looks at an empty queue")

    def handle(self, *, interval: float, **options) -> None:
        worker = RecoveringWorker(
            queue_names=["*"],
            interval=interval,
            batch=True,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        worker.configure_signals()
        self.stdout.write(f"Running background tasks (worker {worker.worker_id[:8]}); Ctrl-C stops.")
        worker.run()
