"""The Celery app. Without a broker (embedded default), tasks run eagerly in-process,
and ``embedded_beat`` runs the beat schedule in a thread of the ASGI process."""

import os
import threading
from typing import Any

from celery import Celery
from celery.beat import EmbeddedService
from django.core.signals import setting_changed

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "domus.settings")


class CelerySettings(dict):
    """Django's ``CELERY_*`` settings as a plain dict: Celery's configuration source.

    Celery looks a dozen settings up for every message it sends, each under three
    spellings; through Django's settings object each spelling that is not there raises
    and catches an ``AttributeError``, a quarter of a publish's CPU. A dict answers at
    once. It is read when Celery configures itself and again whenever a ``CELERY_``
    setting changes (``override_settings``, the tests' ``settings`` fixture)."""

    def refresh(self, **_: Any) -> None:
        from django.conf import settings

        self.clear()
        self.update({name: getattr(settings, name) for name in dir(settings) if name.startswith("CELERY_")})

    def setting_changed(self, *, setting: str, **_: Any) -> None:
        if setting.startswith("CELERY_"):
            self.refresh()


celery_settings = CelerySettings()
app = Celery("domus")
app.on_configure.connect(celery_settings.refresh, weak=False)
app.config_from_object(celery_settings, namespace="CELERY")
setting_changed.connect(celery_settings.setting_changed, weak=False, dispatch_uid="domus-celery-settings")
app.autodiscover_tasks()


def embedded_beat(schedule_filename: str) -> threading.Thread:
    """Celery beat as a daemon thread of this process, not yet started: each job falls due
    on ``CELERY_BEAT_SCHEDULE`` and, with eager tasks, runs in that thread. The apps' task
    modules are imported first, as a worker would (beat sends unknown tasks to the broker)."""
    app.loader.import_default_modules()
    return EmbeddedService(app, thread=True, schedule_filename=schedule_filename)
