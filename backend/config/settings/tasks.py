"""Background tasks: Django's Tasks API (the `django-tasks` backport of Django 6's `django.tasks`)
on the database (`django-tasks-db`): a task is a row of the service's own database, so it outlives
a restart, needs no other service (`make run` on SQLite) and is shared by every worker of several
servers (PostgreSQL rows claimed with SELECT ... FOR UPDATE SKIP LOCKED). `python manage.py run_tasks`
runs them (`make run` starts it; `make serve` does not)."""

from config.settings.environment import env

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Attempts of a task that fails (a mail server down, the model's server busy), the first retry
# after TASKS_RETRY_SECONDS, each next one after twice as long.
TASKS_MAX_ATTEMPTS = env.int("TASKS_MAX_ATTEMPTS", default=5)
TASKS_RETRY_SECONDS = env.float("TASKS_RETRY_SECONDS", default=30.0)
# A task a worker claimed but never finished (the worker was killed) runs again after this many
# seconds. Longer than any task takes: a mail's EMAIL_TIMEOUT, a model call's OPENAI_TIMEOUT.
TASKS_STALE_SECONDS = env.float("TASKS_STALE_SECONDS", default=600.0)
