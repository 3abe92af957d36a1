"""Every URL form a library staffer pastes maps to one canonical post; others get clear errors."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from collector.urls import PostRef, PostUrlError, ShortLink, expand_short_link, parse_post_url

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

IG = "https://www.instagram.com/reel/C9xYzAbCdEf/"
YT = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
TT = "https://www.tiktok.com/@perpus.bandung/video/7423178590451264810"
FB = "https://www.facebook.com/watch/?v=1375731680607892"


@pytest.mark.parametrize(
    ("url", "canonical", "post_id"),
    [
        ("https://www.instagram.com/reel/C9xYzAbCdEf/", IG, "C9xYzAbCdEf"),
        ("https://instagram.com/reels/C9xYzAbCdEf", IG, "C9xYzAbCdEf"),
        ("https://m.instagram.com/p/C9xYzAbCdEf/?igsh=MWQ1ZGUxMzBkMA==", IG, "C9xYzAbCdEf"),
        ("http://www.instagram.com/p/C9xYzAbCdEf/?utm_source=ig_web_copy_link", IG, "C9xYzAbCdEf"),
        ("instagram.com/reel/C9xYzAbCdEf", IG, "C9xYzAbCdEf"),
        ("https://www.instagram.com/perpus.bandung/reel/C9xYzAbCdEf/", IG, "C9xYzAbCdEf"),
        ("  https://www.instagram.com/tv/C9xYzAbCdEf  ", IG, "C9xYzAbCdEf"),
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", YT, "dQw4w9WgXcQ"),
        ("https://youtube.com/watch?feature=share&v=dQw4w9WgXcQ&t=10s", YT, "dQw4w9WgXcQ"),
        ("https://m.youtube.com/watch?v=dQw4w9WgXcQ&list=PL1", YT, "dQw4w9WgXcQ"),
        ("https://music.youtube.com/watch?v=dQw4w9WgXcQ&si=xyz", YT, "dQw4w9WgXcQ"),
        ("https://www.youtube.com/shorts/dQw4w9WgXcQ?feature=share", YT, "dQw4w9WgXcQ"),
        ("https://youtube.com/shorts/dQw4w9WgXcQ", YT, "dQw4w9WgXcQ"),
        ("https://youtu.be/dQw4w9WgXcQ?si=Ab12", YT, "dQw4w9WgXcQ"),
        ("https://www.youtube.com/embed/dQw4w9WgXcQ", YT, "dQw4w9WgXcQ"),
        ("https://www.youtube.com/live/dQw4w9WgXcQ", YT, "dQw4w9WgXcQ"),
        (TT, TT, "7423178590451264810"),
        (
            "https://www.tiktok.com/@Perpus.Bandung/video/7423178590451264810?is_from_webapp=1",
            TT,
            "7423178590451264810",
        ),
        (
            "https://m.tiktok.com/@perpus.bandung/video/7423178590451264810",
            TT,
            "7423178590451264810",
        ),
        (
            "https://m.tiktok.com/v/7423178590451264810.html",
            "https://m.tiktok.com/v/7423178590451264810.html",
            "7423178590451264810",
        ),
        ("https://www.facebook.com/reel/1375731680607892", FB, "1375731680607892"),
        ("https://m.facebook.com/reel/1375731680607892/?s=fb_shorts", FB, "1375731680607892"),
        ("https://www.facebook.com/watch/?v=1375731680607892", FB, "1375731680607892"),
        ("https://www.facebook.com/watch?v=1375731680607892&ref=sharing", FB, "1375731680607892"),
        ("https://www.facebook.com/perpusnas/videos/1375731680607892/", FB, "1375731680607892"),
        (
            "https://web.facebook.com/perpusnas/videos/hari-buku/1375731680607892/",
            FB,
            "1375731680607892",
        ),
        ("https://www.facebook.com/video.php?v=1375731680607892", FB, "1375731680607892"),
    ],
)
def test_recognised_forms(url: str, canonical: str, post_id: str) -> None:
    ref = parse_post_url(url)
    assert isinstance(ref, PostRef)
    assert ref.canonical_url == canonical
    assert ref.post_id == post_id
    # The canonical form is itself recognised as the same post.
    again = parse_post_url(canonical)
    assert isinstance(again, PostRef) and again.post_id == post_id


@pytest.mark.parametrize(
    ("url", "platform"),
    [
        ("https://vm.tiktok.com/ZMabc123/", "tiktok"),
        ("https://vt.tiktok.com/ZSxyz789/?k=1", "tiktok"),
        ("https://www.tiktok.com/t/ZTabc/", "tiktok"),
        ("https://fb.watch/abcDEF123/", "facebook"),
        ("https://www.facebook.com/share/r/15abcXYZ/", "facebook"),
    ],
)
def test_short_links_are_recognised(url: str, platform: str) -> None:
    link = parse_post_url(url)
    assert isinstance(link, ShortLink)
    assert link.platform == platform


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("", "it is empty"),
        ("https://www.instagram.com/perpus.bandung/", "looks like a profile"),
        ("https://www.instagram.com/explore/tags/literasi/", "names no post"),
        ("https://www.instagram.com/reel/a!b/", "not an Instagram post code"),
        ("https://www.youtube.com/channel/UC123", "names no video"),
        ("https://www.youtube.com/watch?v=tooShort", "not an 11-character"),
        ("https://www.tiktok.com/@perpus.bandung", "looks like a profile"),
        ("https://www.tiktok.com/@perpus/video/notdigits", "not a TikTok video id"),
        ("https://www.facebook.com/perpusnas", "names no video or reel"),
        ("https://www.facebook.com/reel/abc", "not a Facebook video id"),
        ("https://twitter.com/x/status/1", "host 'twitter.com' is not"),
        ("mailto:perpus@example.id", "is not http or https"),
        ("https://", "has no host"),
    ],
)
def test_errors_name_the_url_and_what_was_expected(url: str, reason: str) -> None:
    with pytest.raises(PostUrlError) as info:
        parse_post_url(url)
    message = str(info.value)
    assert reason in message
    assert repr(url) in message
    assert "expected" in message


class RedirectServer:
    """A tiny HTTP server answering short links with redirects, like the platforms do."""

    def __init__(self, routes: dict[str, str]) -> None:
        self.routes = routes
        self.paths: list[str] = []
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        self.paths.append(request.path)
        target = self.routes.get(request.path)
        response = (
            Response(status=301, headers={"Location": target})
            if target
            else Response("not found", status=404)
        )
        return response(environ, start_response)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"


@pytest.fixture
def redirects() -> Iterator[RedirectServer]:
    server = RedirectServer(
        {
            "/vm.tiktok.com/ZMabc123/": "https://www.tiktok.com/t/ZThop/",
            "/www.tiktok.com/t/ZThop/": TT + "?_r=1&u_code=xyz",
            "/fb.watch/abcDEF123/": "https://www.facebook.com/reel/1375731680607892/?mibextid=x",
            "/vt.tiktok.com/ZSloop/": "https://vt.tiktok.com/ZSloop/",
            "/fb.watch/elsewhere/": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        }
    )
    server.thread.start()
    yield server
    server.server.shutdown()


def test_short_links_expand_through_redirects(redirects: RedirectServer) -> None:
    tt = parse_post_url("https://vm.tiktok.com/ZMabc123/")
    assert isinstance(tt, ShortLink)
    ref = expand_short_link(tt, resolver_base=redirects.base)
    assert ref.canonical_url == TT
    assert redirects.paths == ["/vm.tiktok.com/ZMabc123/", "/www.tiktok.com/t/ZThop/"]
    fb = parse_post_url("https://fb.watch/abcDEF123/")
    assert isinstance(fb, ShortLink)
    assert expand_short_link(fb, resolver_base=redirects.base).canonical_url == FB


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://vm.tiktok.com/ZMgone/", "did not redirect (HTTP 404)"),
        ("https://vt.tiktok.com/ZSloop/", "redirected more than 5 times"),
        ("https://fb.watch/elsewhere/", "leads to youtube instead"),
    ],
)
def test_short_link_failures_are_clear(redirects: RedirectServer, url: str, reason: str) -> None:
    link = parse_post_url(url)
    assert isinstance(link, ShortLink)
    with pytest.raises(PostUrlError) as info:
        expand_short_link(link, resolver_base=redirects.base)
    assert reason in str(info.value)
    assert url.rstrip("/") in str(info.value)


def test_unreachable_short_link_host() -> None:
    link = parse_post_url("https://vm.tiktok.com/ZMabc123/")
    assert isinstance(link, ShortLink)
    with pytest.raises(PostUrlError) as info:
        expand_short_link(link, resolver_base="http://127.0.0.1:9", timeout=2)
    assert "could not be followed" in str(info.value)
