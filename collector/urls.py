"""Post URLs as library staff paste them: recognise, canonicalise, expand short links.

Every public URL form of a post on the four platforms maps to one :class:`PostRef` with the
platform, the post id the URL carries and one canonical URL, so the same post pasted two ways is
one entry. Short links (``vm.tiktok.com``, ``vt.tiktok.com``, ``tiktok.com/t/``, ``fb.watch``,
``facebook.com/share/...``) carry no id; :func:`expand_short_link` follows their redirect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import requests

from store.enums import Platform

EXPECTED = {
    Platform.INSTAGRAM: "instagram.com/reel/<code>, /reels/<code> or /p/<code>",
    Platform.YOUTUBE: "youtube.com/watch?v=<id>, youtube.com/shorts/<id> or youtu.be/<id>",
    Platform.TIKTOK: "tiktok.com/@<user>/video/<id> or a vm./vt.tiktok.com short link",
    Platform.FACEBOOK: "facebook.com/reel/<id>, facebook.com/watch?v=<id>, "
    "facebook.com/<page>/videos/<id> or fb.watch/<code>",
}
ALL_EXPECTED = "; ".join(EXPECTED.values())

_IG_CODE = re.compile(r"^[A-Za-z0-9_-]{5,64}$")
_YT_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_DIGITS = re.compile(r"^[0-9]{5,25}$")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):(?!\d)")
_TT_USER = re.compile(r"^@[A-Za-z0-9_.]{1,40}$")

_IG_HOSTS = {"instagram.com", "www.instagram.com", "m.instagram.com", "instagr.am"}
_YT_HOSTS = {
    "youtube.com",
    "www.youtube.com",
    "m.youtube.com",
    "music.youtube.com",
    "youtube-nocookie.com",
    "www.youtube-nocookie.com",
}
_YT_SHORT_HOSTS = {"youtu.be", "www.youtu.be"}
_TT_HOSTS = {"tiktok.com", "www.tiktok.com", "m.tiktok.com"}
_TT_SHORT_HOSTS = {"vm.tiktok.com", "vt.tiktok.com"}
_FB_HOSTS = {
    "facebook.com",
    "www.facebook.com",
    "m.facebook.com",
    "web.facebook.com",
    "mbasic.facebook.com",
    "touch.facebook.com",
}
_FB_SHORT_HOSTS = {"fb.watch", "www.fb.watch"}


class PostUrlError(ValueError):
    """Not a recognisable public post URL; the message names the URL and what was wanted."""

    def __init__(self, url: str, reason: str, expected: str = ALL_EXPECTED) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"{url!r} is not a post URL we can use: {reason}; expected {expected}")


@dataclass(frozen=True)
class PostRef:
    """A recognised post: its platform, the id its URL carries and its one canonical URL."""

    platform: Platform
    post_id: str
    canonical_url: str
    username: str | None = None


@dataclass(frozen=True)
class ShortLink:
    """A short link that must be expanded (an HTTP redirect) before it names a post."""

    platform: Platform
    url: str


def parse_post_url(raw: str) -> PostRef | ShortLink:
    """Recognise ``raw`` without any network access, or raise :class:`PostUrlError`."""
    url = raw.strip()
    if not url:
        raise PostUrlError(raw, "it is empty")
    if "://" not in url:
        scheme = _SCHEME.match(url)
        if scheme:
            raise PostUrlError(raw, f"the scheme {scheme.group(1)!r} is not http or https")
        url = "https://" + url
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise PostUrlError(raw, f"it cannot be read as a URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise PostUrlError(raw, f"the scheme {parts.scheme!r} is not http or https")
    host = (parts.hostname or "").lower().rstrip(".")
    segments = [s for s in parts.path.split("/") if s]
    query = parse_qs(parts.query)

    if host in _IG_HOSTS:
        return _instagram(raw, segments)
    if host in _YT_HOSTS or host in _YT_SHORT_HOSTS:
        return _youtube(raw, host, segments, query)
    if host in _TT_SHORT_HOSTS:
        if not segments:
            raise PostUrlError(raw, "the short link has no code", EXPECTED[Platform.TIKTOK])
        return ShortLink(Platform.TIKTOK, f"https://{host}/{segments[0]}/")
    if host in _TT_HOSTS:
        return _tiktok(raw, host, segments)
    if host in _FB_SHORT_HOSTS:
        if not segments:
            raise PostUrlError(raw, "the short link has no code", EXPECTED[Platform.FACEBOOK])
        return ShortLink(Platform.FACEBOOK, f"https://fb.watch/{segments[0]}/")
    if host in _FB_HOSTS:
        return _facebook(raw, segments, query)
    if not host:
        raise PostUrlError(raw, "it has no host")
    raise PostUrlError(raw, f"the host {host!r} is not Instagram, Facebook, TikTok or YouTube")


def _instagram(raw: str, segments: list[str]) -> PostRef:
    # /reel/C, /reels/C, /p/C, /tv/C, and the newer /<username>/reel/C form.
    kinds = ("reel", "reels", "p", "tv")
    for i, seg in enumerate(segments[:-1]):
        if seg.lower() in kinds and i <= 1:
            code = segments[i + 1]
            if not _IG_CODE.match(code):
                raise PostUrlError(
                    raw, f"{code!r} is not an Instagram post code", EXPECTED[Platform.INSTAGRAM]
                )
            username = segments[0] if i == 1 else None
            return PostRef(
                Platform.INSTAGRAM, code, f"https://www.instagram.com/reel/{code}/", username
            )
    if len(segments) == 1:
        reason = "it looks like a profile, not a post"
    else:
        reason = "the path names no post"
    raise PostUrlError(raw, reason, EXPECTED[Platform.INSTAGRAM])


def _youtube(raw: str, host: str, segments: list[str], query: dict[str, list[str]]) -> PostRef:
    video_id: str | None = None
    if host in _YT_SHORT_HOSTS:
        video_id = segments[0] if segments else None
    elif segments[:1] == ["watch"]:
        video_id = next(iter(query.get("v", [])), None)
    elif len(segments) >= 2 and segments[0] in ("shorts", "embed", "live", "v", "e"):
        video_id = segments[1]
    if video_id is None:
        raise PostUrlError(raw, "the URL names no video", EXPECTED[Platform.YOUTUBE])
    if not _YT_ID.match(video_id):
        raise PostUrlError(
            raw, f"{video_id!r} is not an 11-character YouTube video id", EXPECTED[Platform.YOUTUBE]
        )
    return PostRef(Platform.YOUTUBE, video_id, f"https://www.youtube.com/watch?v={video_id}")


def _tiktok(raw: str, host: str, segments: list[str]) -> PostRef | ShortLink:
    if segments[:1] == ["t"] and len(segments) >= 2:
        return ShortLink(Platform.TIKTOK, f"https://www.tiktok.com/t/{segments[1]}/")
    if len(segments) >= 3 and segments[1] in ("video", "photo") and _TT_USER.match(segments[0]):
        video_id = segments[2]
        if not _DIGITS.match(video_id):
            raise PostUrlError(
                raw, f"{video_id!r} is not a TikTok video id", EXPECTED[Platform.TIKTOK]
            )
        user = segments[0][1:].lower()
        return PostRef(
            Platform.TIKTOK, video_id, f"https://www.tiktok.com/@{user}/video/{video_id}", user
        )
    if len(segments) == 2 and segments[0] == "v" and segments[1].endswith(".html"):
        video_id = segments[1][: -len(".html")]
        if _DIGITS.match(video_id):
            return PostRef(Platform.TIKTOK, video_id, f"https://m.tiktok.com/v/{video_id}.html")
    if len(segments) == 1 and segments[0].startswith("@"):
        raise PostUrlError(raw, "it looks like a profile, not a video", EXPECTED[Platform.TIKTOK])
    raise PostUrlError(raw, "the path names no video", EXPECTED[Platform.TIKTOK])


def _facebook(raw: str, segments: list[str], query: dict[str, list[str]]) -> PostRef | ShortLink:
    video_id: str | None = None
    if segments[:1] == ["share"] and len(segments) >= 3 and segments[1] in ("r", "v"):
        return ShortLink(
            Platform.FACEBOOK, f"https://www.facebook.com/share/{segments[1]}/{segments[2]}/"
        )
    if segments[:1] == ["reel"] and len(segments) >= 2:
        video_id = segments[1]
    elif segments[:1] in (["watch"], ["video.php"]):
        video_id = next(iter(query.get("v", [])), None)
    elif "videos" in segments:
        # /<page>/videos/<id>/ and /<page>/videos/<slug>/<id>/: the id is the last numeric part.
        after = segments[segments.index("videos") + 1 :]
        numeric = [s for s in after if _DIGITS.match(s)]
        video_id = numeric[-1] if numeric else (after[0] if after else None)
    if video_id is None:
        raise PostUrlError(raw, "the URL names no video or reel", EXPECTED[Platform.FACEBOOK])
    if not _DIGITS.match(video_id):
        raise PostUrlError(
            raw, f"{video_id!r} is not a Facebook video id", EXPECTED[Platform.FACEBOOK]
        )
    return PostRef(Platform.FACEBOOK, video_id, f"https://www.facebook.com/watch/?v={video_id}")


def expand_short_link(
    link: ShortLink,
    *,
    resolver_base: str | None = None,
    session: requests.Session | None = None,
    timeout: float = 10.0,
    max_hops: int = 5,
) -> PostRef:
    """Follow the redirects of a short link until it names a post.

    With ``resolver_base`` set (tests, the demo) the link ``https://host/path`` is asked of
    ``{resolver_base}/host/path`` instead of its own host.
    """
    http = session or requests.Session()
    current = link.url
    for _ in range(max_hops):
        target = current
        if resolver_base:
            parts = urlsplit(current)
            target = f"{resolver_base.rstrip('/')}/{parts.hostname}{parts.path}"
        try:
            resp = http.get(target, allow_redirects=False, timeout=timeout)
        except requests.RequestException as exc:
            raise PostUrlError(
                link.url, f"the short link could not be followed ({type(exc).__name__})"
            ) from None
        location = resp.headers.get("Location")
        if resp.status_code not in (301, 302, 303, 307, 308) or not location:
            raise PostUrlError(
                link.url, f"the short link did not redirect (HTTP {resp.status_code})"
            )
        parsed = parse_post_url(location)
        if isinstance(parsed, PostRef):
            if parsed.platform != link.platform:
                raise PostUrlError(link.url, f"the short link leads to {parsed.platform} instead")
            return parsed
        current = parsed.url
    raise PostUrlError(link.url, f"the short link redirected more than {max_hops} times")
