"""Helpers for the publication tests: small real video files and a ready calendar."""

from __future__ import annotations

import atexit
import fcntl
import functools
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from services import registry
from services.app import App
from services.calendar import Actor
from store.enums import Platform, Role
from store.models import Library, SocialAccount

OPERATOR = Actor.operator("test-operator")


# Set by tests/conftest.py for the whole test run: a folder that every pytest-xdist process sees.
VIDEO_CACHE_VARIABLE = "RBTEST_VIDEO_CACHE"


def make_video(
    path: Path,
    *,
    width: int = 540,
    height: int = 960,
    seconds: float = 4.0,
    fps: int = 30,
    codec: str = "libx264",
    audio: bool = True,
    faststart: bool = True,
) -> Path:
    """A real, tiny video file (H.264/AAC MP4 by default) written with PyAV.

    Encoding takes most of a second of CPU, so each kind of video is encoded once per test run
    (by whichever process needs it first) and copied to ``path``."""
    key = (path.suffix, width, height, seconds, fps, codec, audio, faststart)
    name = hashlib.sha256(repr(key).encode()).hexdigest()[:16] + path.suffix
    made = _video_dir() / name
    if not made.exists():
        # One process encodes while the others that need the same video wait for it.
        with (made.parent / f"{name}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not made.exists():
                partial = made.with_name(f"{os.getpid()}-{name}")
                _encode_video(
                    partial,
                    width=width,
                    height=height,
                    seconds=seconds,
                    fps=fps,
                    codec=codec,
                    audio=audio,
                    faststart=faststart,
                )
                os.replace(partial, made)
    shutil.copyfile(made, path)
    return path


@functools.cache
def _video_dir() -> Path:
    shared = os.environ.get(VIDEO_CACHE_VARIABLE)
    if shared:
        return Path(shared)
    folder = Path(tempfile.mkdtemp(prefix="reelboard-videos-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _encode_video(
    path: Path,
    *,
    width: int,
    height: int,
    seconds: float,
    fps: int,
    codec: str,
    audio: bool,
    faststart: bool,
) -> Path:
    options = {"movflags": "faststart"} if faststart and path.suffix != ".webm" else {}
    with av.open(str(path), "w", options=options) as out:
        video: Any = out.add_stream(codec, rate=fps)
        video.width, video.height = width, height
        video.pix_fmt = "yuv420p"
        sound: Any = None
        if audio:
            sound = out.add_stream("libopus" if path.suffix == ".webm" else "aac", rate=48000)
        frames = int(seconds * fps)
        for i in range(frames):
            frame = av.VideoFrame(width, height, "yuv420p")
            for plane in frame.planes:
                plane.update(bytes([(i * 7) % 256]) * plane.buffer_size)
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        if sound is not None:
            samples = 960
            layout = "stereo"
            total = int(seconds * 48000)
            t = 0
            while t < total:
                chunk = av.AudioFrame(format="fltp", layout=layout, samples=samples)
                for audio_plane in chunk.planes:
                    audio_plane.update(bytes(audio_plane.buffer_size))
                chunk.sample_rate = 48000
                chunk.pts = t
                chunk.time_base = Fraction(1, 48000)
                for packet in sound.encode(chunk):
                    out.mux(packet)
                t += samples
            for packet in sound.encode():
                out.mux(packet)
    return path


@dataclass
class Calendar:
    library: Library
    accounts: dict[Platform, SocialAccount]


EXTERNAL_IDS = {
    Platform.INSTAGRAM: "17841400000000001",
    Platform.FACEBOOK: "100000000000001",
    Platform.TIKTOK: "tt-open-id-0001",
    Platform.YOUTUBE: "UC0000000000000000000001",
}


def setup_calendar(
    app: App,
    *,
    library: str = "Perpustakaan Kota Makassar",
    province: str = "Sulawesi Selatan",
    suffix: str = "",
    with_users: bool = True,
) -> Calendar:
    """A library (WITA) with one connected account per platform, and its staff/committee users."""
    with app.transaction() as s:
        lib = registry.add_library(
            s, name=library, tier="kabupaten_kota", province=province, actor="test"
        )
        accounts = {}
        for platform, ext in EXTERNAL_IDS.items():
            accounts[platform] = registry.add_account(
                s,
                library=lib,
                platform=platform.value,
                handle=f"perpus{suffix}_{platform.value}",
                external_id=ext + suffix,
                token=f"token-{platform.value}{suffix}",
                token_expires_at=None,
                box=lambda: app.token_box,
                actor="test",
            )
        if with_users:
            registry.add_user(
                s,
                username=f"staff{suffix}",
                password="password123",
                role=Role.LIBRARY.value,
                library_name=lib.name,
                actor="test",
            )
            registry.add_user(
                s,
                username=f"panitia{suffix}",
                password="password123",
                role=Role.COMMITTEE.value,
                library_name=None,
                actor="test",
            )
        s.flush()
        s.expunge_all()
    return Calendar(lib, accounts)


def add_challenge(
    app: App,
    *,
    slug: str = "reels-2026",
    hashtag: str = "LiterasiBerdaya",
    opens: datetime | None = None,
    closes: datetime | None = None,
    approver: str | None = None,
) -> int:
    from scoring.rubric import DEFAULT_RUBRIC_TOML
    from store.enums import Approver

    now = datetime.now(UTC)
    with app.transaction() as s:
        chal = registry.add_challenge(
            s,
            slug=slug,
            title=slug,
            opens_at=opens or now - timedelta(days=10),
            closes_at=closes or now + timedelta(days=30),
            timezone="Asia/Makassar",
            hashtags=[hashtag],
            platforms=[p.value for p in Platform],
            rubric=DEFAULT_RUBRIC_TOML,
            actor="test",
        )
        if approver:
            chal.post_approver = Approver(approver)
        return chal.id
