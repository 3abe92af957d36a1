"""Per-platform publishing rules and the checks a post must pass before it is accepted.

The numbers come from each platform's current documentation (looked up 2026-11; the sources are
named on every rule and listed in docs/publishing.md). A rule is either an error (the platform
refuses such a post, or reelboard cannot publish it) or advice (the post goes out, but looks
worse or reaches fewer people). Every message names the field at fault.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.media import MediaInfo
from store.enums import Platform

MB = 1024 * 1024
GB = 1024 * MB

# A hashtag: '#' and word characters, not inside a word or an HTML entity; a mention: '@' and an
# account name (letters, digits, '.', '_'), not inside an e-mail address.
HASHTAG = re.compile(r"(?<![\w&])#(\w+)")
MENTION = re.compile(r"(?<![\w.@])@([A-Za-z0-9._]+)")
VERTICAL = 9 / 16


@dataclass(frozen=True)
class Rules:
    """What one platform accepts for a reel/short published through its API."""

    platform: Platform
    caption_max: int | None  # None: no published limit
    caption_unit: str  # characters | utf16 | bytes
    caption_role: str  # what the caption becomes on the platform
    max_hashtags: int | None
    max_mentions: int | None
    containers: frozenset[str]
    video_codecs: frozenset[str] | None  # None: any codec the platform transcodes
    audio_codecs: frozenset[str] | None
    min_duration_s: float | None
    max_duration_s: float | None
    max_size_bytes: int
    min_fps: float | None
    max_fps: float | None
    min_side_px: int | None  # the shorter side of the picture
    max_width_px: int | None
    max_side_px: int | None
    aspect_min: float | None  # width / height, hard limits
    aspect_max: float | None
    daily_limit: int  # publishes per moving 24 hours
    daily_scope: str  # account | project
    sources: tuple[str, ...] = field(default=())
    title_max: int | None = None  # YouTube: the caption's first line becomes the title
    forbidden_chars: str = ""


RULES: dict[Platform, Rules] = {
    Platform.INSTAGRAM: Rules(
        platform=Platform.INSTAGRAM,
        caption_max=2200,
        caption_unit="characters",
        caption_role="caption",
        # The API reference still says 30 hashtags; since December 2025 Instagram limits the
        # captions of posts and reels to 5 hashtags. reelboard enforces the stricter, newer rule.
        max_hashtags=5,
        max_mentions=20,
        containers=frozenset({"mp4", "mov"}),
        video_codecs=frozenset({"h264", "hevc"}),
        audio_codecs=frozenset({"aac"}),
        min_duration_s=3,
        max_duration_s=15 * 60,
        max_size_bytes=300 * MB,
        min_fps=23,
        max_fps=60,
        min_side_px=None,
        max_width_px=1920,
        max_side_px=None,
        aspect_min=0.01,
        aspect_max=10.0,
        # Read live from GET /{ig-user-id}/content_publishing_limit when possible; the reference
        # sample shows quota_total 50 (the guide says 100): 50 is the safe default.
        daily_limit=50,
        daily_scope="account",
        sources=(
            "developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/"
            "ig-user/media (Reel Specifications; caption parameter)",
            "developers.facebook.com/docs/instagram-platform/content-publishing (rate limit)",
            "Instagram @creators announcement, December 2025 (5 hashtags per post or reel)",
        ),
    ),
    Platform.FACEBOOK: Rules(
        platform=Platform.FACEBOOK,
        caption_max=None,
        caption_unit="characters",
        caption_role="description",
        max_hashtags=None,
        max_mentions=None,
        containers=frozenset({"mp4", "mov"}),
        video_codecs=None,
        audio_codecs=None,
        min_duration_s=3,
        max_duration_s=90,
        max_size_bytes=1 * GB,
        min_fps=24,
        max_fps=60,
        min_side_px=540,
        max_width_px=None,
        max_side_px=None,
        aspect_min=None,
        aspect_max=None,
        daily_limit=30,
        daily_scope="account",
        sources=(
            "developers.facebook.com/docs/video-api/guides/reels-publishing "
            "(specification table; rate limit: 30 API-published reels per 24 hours)",
        ),
    ),
    Platform.TIKTOK: Rules(
        platform=Platform.TIKTOK,
        caption_max=2200,
        caption_unit="utf16",
        caption_role="title",
        max_hashtags=None,
        max_mentions=None,
        containers=frozenset({"mp4", "webm", "mov"}),
        video_codecs=frozenset({"h264", "hevc", "vp8", "vp9"}),
        audio_codecs=None,
        min_duration_s=3,
        max_duration_s=600,  # further capped by creator_info's max_video_post_duration_sec
        max_size_bytes=4 * GB,
        min_fps=23,
        max_fps=60,
        min_side_px=360,
        max_width_px=None,
        max_side_px=4096,
        aspect_min=None,
        aspect_max=None,
        # TikTok answers spam_risk_too_many_posts at a daily cap it does not publish;
        # integrators report about 15 Direct Posts per creator per day.
        daily_limit=15,
        daily_scope="account",
        sources=(
            "developers.tiktok.com/doc/content-posting-api-reference-direct-post (title <= 2200 "
            "UTF-16 runes; spam_risk_too_many_posts)",
            "developers.tiktok.com/doc/content-posting-api-media-transfer-guide "
            "(video restrictions)",
        ),
    ),
    Platform.YOUTUBE: Rules(
        platform=Platform.YOUTUBE,
        caption_max=5000,
        caption_unit="bytes",
        caption_role="description (its first line is the title)",
        max_hashtags=60,
        max_mentions=None,
        containers=frozenset({"mp4", "mov", "webm"}),
        video_codecs=None,
        audio_codecs=None,
        min_duration_s=None,
        max_duration_s=180,  # a Short: up to 3 minutes, square or vertical
        max_size_bytes=256 * GB,
        min_fps=None,
        max_fps=None,
        min_side_px=None,
        max_width_px=None,
        max_side_px=None,
        aspect_min=None,
        aspect_max=1.0,  # wider than square is not a Short
        # videos.insert: "100 calls per day" in the project's video-upload quota bucket.
        daily_limit=100,
        daily_scope="project",
        title_max=100,
        forbidden_chars="<>",
        sources=(
            "developers.google.com/youtube/v3/docs/videos/insert (256 GB, video/*, 100 uploads "
            "per day)",
            "developers.google.com/youtube/v3/docs/videos (snippet.title <= 100 characters, "
            "snippet.description <= 5000 bytes, no '<' or '>')",
            "support.google.com/youtube/answer/15424877 (Shorts: square or vertical, <= 3 min)",
            "YouTube hashtag policy: more than 60 hashtags and all of them are ignored",
        ),
    ),
}


@dataclass(frozen=True)
class Violation:
    field: str  # caption | media | scheduled_at | account
    message: str
    advice: bool = False  # True: the post can go out, but should be improved

    def __str__(self) -> str:
        kind = "advice" if self.advice else "error"
        return f"{self.field}: {self.message} ({kind})"


def caption_length(text: str, unit: str) -> int:
    if unit == "utf16":
        return len(text.encode("utf-16-le")) // 2
    if unit == "bytes":
        return len(text.encode("utf-8"))
    return len(text)


def hashtags(text: str) -> list[str]:
    return HASHTAG.findall(text)


def mentions(text: str) -> list[str]:
    return MENTION.findall(text)


def youtube_title(caption: str) -> str:
    """The title a YouTube Short gets: the caption's first non-empty line."""
    for line in caption.splitlines():
        if line.strip():
            return line.strip()
    return ""


def check_caption(rules: Rules, caption: str) -> list[Violation]:
    out: list[Violation] = []
    name = rules.platform.value.capitalize()
    if rules.caption_max is not None:
        n = caption_length(caption, rules.caption_unit)
        if n > rules.caption_max:
            unit = {"utf16": "UTF-16 characters", "bytes": "bytes"}.get(rules.caption_unit, "chars")
            out.append(
                Violation(
                    "caption",
                    f"{n} {unit}; {name} allows at most {rules.caption_max} in the "
                    f"{rules.caption_role}",
                )
            )
    tags = hashtags(caption)
    if rules.max_hashtags is not None and len(tags) > rules.max_hashtags:
        out.append(
            Violation(
                "caption",
                f"{len(tags)} hashtags; {name} allows at most {rules.max_hashtags}",
            )
        )
    people = mentions(caption)
    if rules.max_mentions is not None and len(people) > rules.max_mentions:
        out.append(
            Violation(
                "caption",
                f"{len(people)} @mentions; {name} allows at most {rules.max_mentions}",
            )
        )
    bad = sorted({c for c in caption if c in rules.forbidden_chars})
    if bad:
        out.append(Violation("caption", f"{name} refuses the characters {' '.join(bad)}"))
    if rules.title_max is not None:
        title = youtube_title(caption)
        if not title:
            out.append(Violation("caption", f"{name} needs a title: write it as the first line"))
        elif len(title) > rules.title_max:
            out.append(
                Violation(
                    "caption",
                    f"the first line becomes the {name} title and has {len(title)} characters; "
                    f"at most {rules.title_max}",
                )
            )
    if rules.platform is Platform.YOUTUBE and len(tags) > 15:
        out.append(Violation("caption", "more than 15 hashtags look like spam", advice=True))
    return out


def _fmt_seconds(s: float) -> str:
    return f"{s:g} s" if s < 120 else f"{s / 60:g} min"


def check_media(rules: Rules, info: MediaInfo) -> list[Violation]:
    out: list[Violation] = []
    name = rules.platform.value.capitalize()

    def err(msg: str) -> None:
        out.append(Violation("media", msg))

    def tip(msg: str) -> None:
        out.append(Violation("media", msg, advice=True))

    if info.container not in rules.containers:
        err(
            f"container {info.container}; {name} takes "
            f"{', '.join(sorted(c.upper() for c in rules.containers))}"
        )
    if info.video_codec is None:
        err("the file has no video track")
    elif rules.video_codecs is not None and info.video_codec not in rules.video_codecs:
        err(f"video codec {info.video_codec}; {name} takes {', '.join(sorted(rules.video_codecs))}")
    if (
        rules.audio_codecs is not None
        and info.audio_codec is not None
        and info.audio_codec not in rules.audio_codecs
    ):
        err(f"audio codec {info.audio_codec}; {name} takes {', '.join(sorted(rules.audio_codecs))}")
    if info.size_bytes > rules.max_size_bytes:
        err(f"{info.size_bytes / MB:.1f} MB; {name} takes at most {rules.max_size_bytes / MB:g} MB")
    d = info.duration_s
    if d is None:
        err("the duration cannot be read from the file")
    else:
        if rules.min_duration_s is not None and d < rules.min_duration_s:
            err(f"{d:g} s long; {name} needs at least {_fmt_seconds(rules.min_duration_s)}")
        if rules.max_duration_s is not None and d > rules.max_duration_s:
            what = "a Short" if rules.platform is Platform.YOUTUBE else "a reel"
            err(f"{d:g} s long; {what} on {name} is at most {_fmt_seconds(rules.max_duration_s)}")
    fps = info.frame_rate
    if fps is not None:
        if rules.min_fps is not None and fps < rules.min_fps - 0.01:
            err(f"{fps:g} frames per second; {name} needs at least {rules.min_fps:g}")
        if rules.max_fps is not None and fps > rules.max_fps + 0.01:
            err(f"{fps:g} frames per second; {name} takes at most {rules.max_fps:g}")
    w, h = info.width, info.height
    if w and h:
        if rules.min_side_px is not None and min(w, h) < rules.min_side_px:
            err(f"picture {w}x{h}; {name} needs at least {rules.min_side_px} px on each side")
        if rules.max_width_px is not None and w > rules.max_width_px:
            err(f"picture {w}x{h}; {name} takes at most {rules.max_width_px} px wide")
        if rules.max_side_px is not None and max(w, h) > rules.max_side_px:
            err(f"picture {w}x{h}; {name} takes at most {rules.max_side_px} px on each side")
        aspect = w / h
        if rules.aspect_min is not None and aspect < rules.aspect_min:
            err(f"aspect ratio {w}:{h} is narrower than {name} accepts")
        if rules.aspect_max is not None and aspect > rules.aspect_max + 1e-6:
            if rules.platform is Platform.YOUTUBE:
                err(f"picture {w}x{h} is wider than square: YouTube will not treat it as a Short")
            else:
                err(f"aspect ratio {w}:{h} is wider than {name} accepts")
        if abs(aspect - VERTICAL) > 0.01:
            tip(f"picture {w}x{h}; vertical 9:16 (e.g. 1080x1920) fills the screen without bars")
        elif h < 1920:
            tip(f"picture {w}x{h}; 1080x1920 is the recommended resolution")
    elif info.video_codec is not None:
        err("the picture size cannot be read from the file")
    if rules.platform is Platform.INSTAGRAM and info.moov_first is False:
        err(
            "the moov box is at the end of the file; Instagram needs it at the front "
            "(re-export with 'fast start' / ffmpeg -movflags +faststart)"
        )
    elif info.moov_first is False:
        tip("the moov box is at the end of the file; 'fast start' files process sooner")
    if info.audio_codec is None and info.video_codec is not None:
        tip("the video has no sound track")
    return out


def check_media_url(rules: Rules, url: str) -> list[Violation]:
    """What can be told about a media URL without downloading it: its file extension."""
    path = url.split("?", 1)[0].lower()
    ext = path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""
    aliases = {"m4v": "mp4", "qt": "mov"}
    kind = aliases.get(ext, ext)
    if kind and kind not in rules.containers:
        takes = ", ".join(sorted(c.upper() for c in rules.containers))
        return [Violation("media", f"the URL names a .{ext} file; {rules.platform} takes {takes}")]
    return [
        Violation(
            "media",
            "a media URL cannot be checked for codec, duration or size before the platform "
            "fetches it; upload the file (--media) to have it checked now",
            advice=True,
        )
    ]


def check_time(scheduled_at: datetime, now: datetime, *, grace: timedelta) -> list[Violation]:
    if scheduled_at < now - grace:
        return [Violation("scheduled_at", "the time is in the past")]
    return []


def check_daily_limit(
    rules: Rules, in_window: int, *, live: tuple[int, int] | None = None
) -> list[Violation]:
    """``in_window``: other posts of the same scope publishing within 24 h of this one.

    ``live`` is (used, total) as the platform reports it now (Instagram's
    content_publishing_limit), checked when the post is due within the next 24 hours.
    """
    out: list[Violation] = []
    name = rules.platform.value.capitalize()
    scope = "this account" if rules.daily_scope == "account" else "reelboard's API project"
    limit = live[1] if live is not None else rules.daily_limit
    if in_window + 1 > limit:
        out.append(
            Violation(
                "scheduled_at",
                f"{in_window} other post(s) of {scope} publish within 24 hours of this one; "
                f"{name} allows {limit} per 24 hours: choose another time",
            )
        )
    if live is not None and live[0] + 1 > live[1]:
        out.append(
            Violation(
                "account",
                f"{name} reports {live[0]} of {live[1]} API posts used in the last 24 hours",
            )
        )
    return out


def errors(violations: list[Violation]) -> list[Violation]:
    return [v for v in violations if not v.advice]


__all__ = [
    "RULES",
    "Rules",
    "Violation",
    "caption_length",
    "check_caption",
    "check_daily_limit",
    "check_media",
    "check_media_url",
    "check_time",
    "errors",
    "hashtags",
    "mentions",
    "youtube_title",
]
