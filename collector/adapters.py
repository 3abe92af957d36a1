"""Building the four adapters from the settings, sharing one rate gate."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from collector.base import PlatformAdapter
from collector.facebook import FacebookAdapter
from collector.http import HttpConfig
from collector.instagram import InstagramAdapter
from collector.ratelimit import MemoryRateGate, RateGate, utcnow
from collector.tiktok import TikTokAdapter
from collector.youtube import YouTubeAdapter
from store.enums import Platform

if TYPE_CHECKING:
    from reelboard.settings import Settings


class Adapters(dict[Platform, PlatformAdapter]):
    """The adapters by platform; ``close()`` releases their connection pools."""

    def close(self) -> None:
        for adapter in self.values():
            close = getattr(adapter, "close", None)
            if callable(close):
                close()


def build_adapters(
    settings: Settings,
    *,
    http: HttpConfig | None = None,
    gate: RateGate | None = None,
    now: Callable[[], datetime] = utcnow,
) -> Adapters:
    gate = gate if gate is not None else MemoryRateGate(now)
    out = Adapters()
    out[Platform.INSTAGRAM] = InstagramAdapter.from_settings(
        settings, http=http, gate=gate, now=now
    )
    out[Platform.FACEBOOK] = FacebookAdapter.from_settings(settings, http=http, gate=gate, now=now)
    out[Platform.YOUTUBE] = YouTubeAdapter.from_settings(settings, http=http, gate=gate, now=now)
    out[Platform.TIKTOK] = TikTokAdapter.from_settings(settings, http=http, gate=gate, now=now)
    return out


__all__ = ["Adapters", "build_adapters"]
