"""A local fake of the platform APIs reelboard reads (and later publishes to).

It speaks the documented request and response formats of the Meta Graph API (Instagram and
Facebook Pages), the YouTube Data API v3 and the TikTok API v2, over a deterministic world whose
counts grow with a controllable clock, with switches for every failure the real APIs produce,
and it counts every call it receives. Tests and benchmarks run the real adapters against it.
"""

from fakeplatform.calls import Call, CallLog
from fakeplatform.clock import FakeClock
from fakeplatform.faults import FaultRule, Faults
from fakeplatform.server import ServerHandle, start
from fakeplatform.world import Account, Post, World

__all__ = [
    "Account",
    "Call",
    "CallLog",
    "FakeClock",
    "FaultRule",
    "Faults",
    "Post",
    "ServerHandle",
    "World",
    "start",
]
