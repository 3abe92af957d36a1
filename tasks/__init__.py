"""Scheduled, distributed collection: the Celery app, its beat schedule, thin task wrappers around
the services, shared rate limits, and the embedded (single-process) runner. See docs/tasks.md."""
