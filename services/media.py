"""Post media: files kept by reelboard under ``media_dir`` and what a probe reads from them.

An uploaded file is copied into ``settings.media_dir`` under a name made of its SHA-256, so the
same video uploaded twice is stored once and a stored name never points at different bytes.
Platforms that pull media from a URL get ``public_media_base_url`` + that name.

The probe uses PyAV (FFmpeg's demuxers, bundled in the wheel): container, codecs, duration,
frame rate and picture size. Two things FFmpeg does not report directly are read from the MP4/MOV
box structure: whether the ``moov`` box comes before ``mdat`` (Instagram asks for it at the
front) and the track's rotation matrix (a phone video stored 1920x1080 and shown upright).
"""

from __future__ import annotations

import hashlib
import os
import struct
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import av

from services.errors import BadInput

VIDEO_EXTENSIONS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".webm": "webm"}
CHUNK = 1 << 20


@dataclass(frozen=True)
class MediaInfo:
    """What the probe found; None where the file does not say."""

    size_bytes: int
    container: str  # mp4 | mov | webm | <FFmpeg's format name>
    video_codec: str | None  # FFmpeg codec name: h264, hevc, vp8, vp9, av1, mpeg4...
    audio_codec: str | None  # aac, opus, mp3...
    width: int | None  # as displayed, after the track's rotation
    height: int | None
    duration_s: float | None
    frame_rate: float | None
    moov_first: bool | None  # MP4/MOV only: moov box before mdat ("fast start")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MediaInfo:
        values: dict[str, Any] = {k: data.get(k) for k in cls.__dataclass_fields__}
        return cls(**values)

    @property
    def aspect(self) -> float | None:
        """Width / height as displayed (9:16 vertical is 0.5625)."""
        if not self.width or not self.height:
            return None
        return self.width / self.height


# --- storing ----------------------------------------------------------------------------------


def _hash_copy(src: BinaryIO, dst: BinaryIO) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    while chunk := src.read(CHUNK):
        digest.update(chunk)
        dst.write(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def store_media(source: Path, media_dir: Path) -> str:
    """Copy ``source`` into ``media_dir`` under its content hash; returns the stored name.

    The copy is written to a temporary file and renamed into place, so a crash never leaves a
    half-written file under a final name.
    """
    ext = source.suffix.lower()
    if ext not in VIDEO_EXTENSIONS:
        allowed = ", ".join(sorted(VIDEO_EXTENSIONS))
        raise BadInput(f"--media {source}: a reel must be a video file ({allowed})")
    if not source.is_file():
        raise BadInput(f"--media {source}: no such file")
    media_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".upload-", dir=media_dir)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            digest, size = _hash_copy(src, out)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise BadInput(f"--media {source}: the file is empty")
        name = f"{digest}{'.mp4' if ext == '.m4v' else ext}"
        final = media_dir / name
        if final.exists():
            tmp.unlink()
        else:
            tmp.replace(final)
        return name
    finally:
        if tmp.exists():
            tmp.unlink()


def media_file(media_dir: Path, name: str) -> Path:
    """The stored file for a name written by :func:`store_media` (no path tricks)."""
    if "/" in name or "\\" in name or name.startswith("."):
        raise BadInput(f"stored media name {name!r} is not a plain file name")
    return media_dir / name


def public_url(base: str | None, name: str) -> str:
    if not base:
        raise BadInput(
            "REELBOARD_PUBLIC_MEDIA_BASE_URL is not set: the platform must fetch this uploaded "
            "video from a public URL that serves the media folder"
        )
    return f"{base.rstrip('/')}/{name}"


def check_media_url(url: str) -> str:
    """A media URL a platform can fetch: https (or http), with a host and a video file path."""
    clean = url.strip()
    parts = urlsplit(clean)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise BadInput(f"--media-url {url!r}: expected a public http(s) URL of the video file")
    return clean


# --- probing ----------------------------------------------------------------------------------


def _boxes(f: BinaryIO, end: int) -> list[tuple[bytes, int, int]]:
    """(type, payload offset, payload size) of the boxes from the current position to ``end``."""
    out = []
    pos = f.tell()
    while pos + 8 <= end:
        f.seek(pos)
        header = f.read(8)
        if len(header) < 8:
            break
        size, kind = struct.unpack(">I4s", header)
        head = 8
        if size == 1:
            large = f.read(8)
            if len(large) < 8:
                break
            size = struct.unpack(">Q", large)[0]
            head = 16
        elif size == 0:
            size = end - pos
        if size < head:
            break
        out.append((kind, pos + head, size - head))
        pos += size
    return out


def _rotated(f: BinaryIO, moov_at: int, moov_size: int) -> bool:
    """True if the first video track's matrix turns it by 90 or 270 degrees."""
    f.seek(moov_at)
    for kind, at, size in _boxes(f, moov_at + moov_size):
        if kind != b"trak":
            continue
        f.seek(at)
        for sub, sub_at, _ in _boxes(f, at + size):
            if sub != b"tkhd":
                continue
            f.seek(sub_at)
            version = f.read(1)[0]
            skip = 3 + (32 if version == 1 else 20) + 8 + 8
            f.seek(sub_at + 1 + skip)
            a, b = struct.unpack(">ii", f.read(8))
            f.seek(sub_at + 1 + skip + 36)
            width, _height = struct.unpack(">II", f.read(8))
            if width == 0:  # an audio track
                break
            return bool(a == 0 and b != 0)
    return False


def _mp4_layout(path: Path) -> tuple[str | None, bool | None, bool]:
    """(mp4|mov by the ftyp brand, moov before mdat, rotated) for MP4/MOV files."""
    size = path.stat().st_size
    with path.open("rb") as f:
        boxes = _boxes(f, size)
        kinds = [k for k, _, _ in boxes]
        brand = None
        if kinds and kinds[0] == b"ftyp":
            f.seek(boxes[0][1])
            brand = f.read(4)
        if b"moov" not in kinds:
            return None, None, False
        moov = kinds.index(b"moov")
        first = b"mdat" not in kinds or moov < kinds.index(b"mdat")
        _, moov_at, moov_size = boxes[moov]
        rotated = _rotated(f, moov_at, moov_size)
    kind = "mov" if brand == b"qt  " else "mp4"
    return kind, first, rotated


def probe(path: Path) -> MediaInfo:
    """Read a video file's facts; a file FFmpeg cannot open is bad input."""
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise BadInput(f"media {path.name}: not a readable video file ({exc})") from None
    with container:
        fmt = container.format.name
        video = container.streams.video[0] if container.streams.video else None
        audio = container.streams.audio[0] if container.streams.audio else None
        duration = container.duration / 1_000_000 if container.duration else None
        width = height = None
        frame_rate = None
        if video is not None:
            width = video.codec_context.width or None
            height = video.codec_context.height or None
            rate = video.average_rate or video.guessed_rate
            frame_rate = float(rate) if rate else None
            if duration is None and video.duration and video.time_base:
                duration = float(video.duration * video.time_base)
        vcodec = video.codec_context.name if video is not None else None
        acodec = audio.codec_context.name if audio is not None else None
    kind = fmt
    moov_first = None
    if "mp4" in fmt.split(","):
        layout, moov_first, rotated = _mp4_layout(path)
        kind = layout or "mp4"
        if rotated and width and height:
            width, height = height, width
    elif "webm" in fmt.split(","):
        kind = "webm"
    return MediaInfo(
        size_bytes=path.stat().st_size,
        container=kind,
        video_codec=vcodec,
        audio_codec=acodec,
        width=width,
        height=height,
        duration_s=round(duration, 3) if duration is not None else None,
        frame_rate=round(frame_rate, 3) if frame_rate is not None else None,
        moov_first=moov_first,
    )


__all__ = [
    "VIDEO_EXTENSIONS",
    "MediaInfo",
    "check_media_url",
    "media_file",
    "probe",
    "public_url",
    "store_media",
]
