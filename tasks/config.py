"""The Celery configuration, derived from reelboard's settings.

Key space: every Redis key is prefixed with ``REELBOARD_REDIS_PREFIX`` (default ``reelboard``):
kombu's ``global_keyprefix`` covers the queues, the unacked-message bookkeeping and the
pub/sub channels of the control and event exchanges; the result backend's ``global_keyprefix``
covers the task results; RedBeat's ``redbeat_key_prefix`` the schedule and its lock; and
reelboard's own keys (rate limits, gate, quotas, round claims, beat heartbeat) use the same
prefix. Several deployments, or several test runs, can therefore share one Redis database
without seeing each other's work. (A separate Redis database number per deployment works too,
via the URL's ``/N``, but pub/sub channels are global across numbered databases, so the prefix
is what actually isolates the control commands.)

Delivery guarantees: tasks are acknowledged *after* they ran (``task_acks_late``) and a task
whose worker process died is put back on the queue (``task_reject_on_worker_lost``); a task
taken by a worker that vanished entirely (machine lost, SIGKILL of the whole worker) is
delivered again after the broker's visibility timeout, which is longer than any task may run.
Every task is idempotent (snapshots have a unique key), so a second delivery writes nothing
twice.
"""

from __future__ import annotations

from typing import Any

from reelboard.settings import Settings

# Queues: short bookkeeping tasks must not wait behind thousands of collection batches.
QUEUE_COLLECT = "collect"
QUEUE_DEFAULT = "default"
QUEUES = (QUEUE_DEFAULT, QUEUE_COLLECT)

# The planning pass and other bookkeeping are short; their hard limit is fixed.
SHORT_TASK_LIMIT = 120
# The beat's scheduler wakes at least this often (the RedBeat schedule is cheap to read).
BEAT_MAX_LOOP_INTERVAL = 5


def soft_limit(hard: int) -> int:
    """The soft time limit that goes with a hard one: room to write what was collected."""
    return max(1, int(hard * 0.8))


def max_retry_countdown(settings: Settings) -> int:
    """The longest a task may be scheduled ahead (a retry's countdown).

    A task waiting for its ETA is held unacknowledged by a worker; it must start and finish
    before the visibility timeout, or the broker would deliver it a second time.
    """
    return max(1, settings.broker_visibility_timeout - settings.task_time_limit - 60)


def publish_limit(settings: Settings) -> int:
    """The publishing pass may upload videos: up to 15 minutes, inside the visibility timeout."""
    return max(SHORT_TASK_LIMIT, min(900, settings.broker_visibility_timeout - 60))


def celery_config(settings: Settings) -> dict[str, Any]:
    if not settings.redis_url:
        raise ValueError(
            "REELBOARD_REDIS_URL is not set: the distributed mode needs Redis "
            "(use `reelboard run` for the embedded mode)"
        )
    prefix = settings.redis_prefix
    url = settings.redis_url
    transport: dict[str, Any] = {
        "global_keyprefix": f"{prefix}:",
        "visibility_timeout": settings.broker_visibility_timeout,
        # Sweep for messages of vanished workers often enough to honour the visibility timeout
        # closely (every sweep is one ZRANGE); redelivery still needs the timeout to pass.
        "unacked_restore_interval": max(1, min(10, settings.broker_visibility_timeout // 4)),
        "unacked_restore_throttle": 1,
        "fanout_prefix": True,
        "fanout_patterns": True,
        "socket_timeout": 30,
        "socket_connect_timeout": 5,
        "socket_keepalive": True,
        "health_check_interval": 10,
        "retry_on_timeout": True,
    }
    return {
        "broker_url": url,
        "result_backend": url,
        "broker_transport_options": transport,
        "result_backend_transport_options": {
            "global_keyprefix": f"{prefix}:",
            "retry_policy": {"timeout": 30.0},
        },
        # Storing a result waits for Redis to come back (a restart) instead of failing the task.
        "result_backend_always_retry": True,
        "result_backend_max_retries": 40,
        "result_backend_max_sleep_between_retries_ms": 5000,
        "broker_connection_retry": True,
        "broker_connection_retry_on_startup": True,
        "broker_connection_max_retries": None,  # keep trying while Redis restarts
        "redis_socket_timeout": 30,
        "redis_socket_connect_timeout": 5,
        "redis_retry_on_timeout": True,
        "redis_backend_health_check_interval": 10,
        # JSON only: no pickle from the network.
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "result_accept_content": ["json"],
        "timezone": "UTC",
        "enable_utc": True,
        # At-least-once delivery; the tasks are idempotent.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_acks_on_failure_or_timeout": True,
        "worker_prefetch_multiplier": 1,
        "task_time_limit": settings.task_time_limit,
        "task_soft_time_limit": soft_limit(settings.task_time_limit),
        "task_track_started": True,
        "task_publish_retry": True,
        "task_publish_retry_policy": {
            "max_retries": 10,
            "interval_start": 0.5,
            "interval_step": 1.0,
            "interval_max": 5.0,
        },
        "result_expires": 6 * 3600,
        "result_extended": False,
        "task_default_queue": QUEUE_DEFAULT,
        "task_routes": {"reelboard.collect_batch": {"queue": QUEUE_COLLECT}},
        "task_annotations": {
            "reelboard.publish_due": {
                "time_limit": publish_limit(settings),
                "soft_time_limit": soft_limit(publish_limit(settings)),
            }
        },
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        "worker_hijack_root_logger": False,
        "worker_send_task_events": True,
        "task_send_sent_event": True,
        # Beat: RedBeat keeps the schedule and a lock in Redis (one beat schedules at a time).
        "beat_scheduler": "tasks.beat:ReelboardScheduler",
        "beat_max_loop_interval": BEAT_MAX_LOOP_INTERVAL,
        "redbeat_redis_url": url,
        "redbeat_key_prefix": f"{prefix}:redbeat",
        "redbeat_lock_timeout": settings.beat_lock_timeout,
        # reelboard's own keys (heartbeat, claims, limits) use the same prefix.
        "reelboard_redis_prefix": prefix,
    }


__all__ = [
    "BEAT_MAX_LOOP_INTERVAL",
    "QUEUES",
    "QUEUE_COLLECT",
    "QUEUE_DEFAULT",
    "SHORT_TASK_LIMIT",
    "celery_config",
    "max_retry_countdown",
    "soft_limit",
]
