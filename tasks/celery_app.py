"""The Celery application: ``celery --app tasks.celery_app:app ...`` and ``reelboard worker``.

Configured from reelboard's settings (``REELBOARD_REDIS_URL`` is both broker and result backend;
see :mod:`tasks.config`). Without ``REELBOARD_REDIS_URL`` the module still imports (the app has
an in-memory broker and nothing can be started); use ``reelboard run`` for the embedded mode.
"""

from __future__ import annotations

from celery import Celery

from reelboard.settings import Settings, get_settings
from tasks.config import celery_config
from tasks.schedule import TASK_MODULES, beat_schedule


def make_celery(settings: Settings | None = None) -> Celery:
    settings = settings or get_settings()
    celery = Celery("reelboard", include=list(TASK_MODULES))
    if settings.redis_url:
        celery.conf.update(celery_config(settings))
        celery.conf.beat_schedule = beat_schedule(settings)
    else:
        celery.conf.update(broker_url="memory://", result_backend="cache+memory://")
    return celery


app = make_celery()

__all__ = ["app", "make_celery"]
