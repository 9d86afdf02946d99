"""The Celery app. Without a broker (embedded default), tasks run eagerly in-process,
and ``embedded_beat`` runs the beat schedule in a thread of the ASGI process."""

import os
import threading

from celery import Celery
from celery.beat import EmbeddedService

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "domus.settings")

app = Celery("domus")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def embedded_beat(schedule_filename: str) -> threading.Thread:
    """Celery beat as a daemon thread of this process, not yet started: each job falls due
    on ``CELERY_BEAT_SCHEDULE`` and, with eager tasks, runs in that thread. The apps' task
    modules are imported first, as a worker would (beat sends unknown tasks to the broker)."""
    app.loader.import_default_modules()
    return EmbeddedService(app, thread=True, schedule_filename=schedule_filename)
