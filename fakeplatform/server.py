"""The fake platform HTTP server (werkzeug, threaded, loopback).

Paths (the base URLs of :class:`ServerHandle`)::

    /v25.0/...                Meta Graph API (Instagram with Facebook Login, Facebook Pages);
                              any /vNN.N/ version, and /graph/<version>/... as well
    /youtube/v3/...           YouTube Data API v3
    /v2/...                   TikTok API v2 (also /tiktok/v2/...)
    /_short/<host>/<path>     short-link redirects (vm.tiktok.com, vt.tiktok.com, fb.watch):
                              301 to the post's canonical URL, 404 when unknown
    /_admin/calls             GET the call log (summary + every call); DELETE to reset it
    /_admin/config            GET the fault switches; POST/PATCH a JSON object to change them
    /_admin/clock             GET the world time; POST {"advance_hours": h} or {"now": iso}
    /_admin/world             GET the accounts and posts (fake tokens included)

Start it in-process with :func:`start` (tests, benchmarks, the demo) or as a command with
``python -m fakeplatform --port 8700``.

Publishing: ``start(world, publish=True)`` (or a :class:`~fakeplatform.publish_world.PublishWorld`)
also serves the publishing endpoints of :mod:`fakeplatform.publish_server` on the same base
URLs. Requests this server's read modules do not serve go to the publishing app, and every post
the publishing side makes public is adopted into the read world
(:meth:`~fakeplatform.world.World.adopt_published`), so its metrics can then be collected.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import socket
import threading
from collections.abc import Iterable
from datetime import datetime, timedelta
from socketserver import ThreadingMixIn
from types import TracebackType
from typing import IO, Any, cast
from wsgiref.headers import Headers
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer, make_server

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.wrappers import Request, Response

from fakeplatform.common import json_response
from fakeplatform.graph import GraphHandler
from fakeplatform.publish_server import PublishApp
from fakeplatform.publish_world import PublishedPost, PublishWorld
from fakeplatform.tiktok import TikTokHandler
from fakeplatform.world import World
from fakeplatform.youtube import YouTubeHandler

GRAPH_VERSION = "v25.0"
_GRAPH_VERSION = re.compile(r"v\d+\.\d+")


class _Server(ThreadingMixIn, WSGIServer):
    """The standard library's WSGI server, one thread per connection (it keeps request headers
    with underscores, which Meta's resumable upload uses).

    Connections are kept alive between requests (HTTP/1.1), as the real APIs do, so a client's
    connection pool is exercised as in production. Stopping the server closes the open ones.
    """

    daemon_threads = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        self.closing = threading.Event()
        self.accepted = 0  # connections accepted so far
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
            self.accepted += 1
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End every open connection (a blocked keep-alive read wakes up and its thread ends)."""
        self.closing.set()
        with self.connections_lock:
            open_now = list(self.connections)
        for conn in open_now:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _KeepAliveHandler(ServerHandler):
    """wsgiref's handler, answering with a framed body so that the connection can stay open."""

    request_handler: _QuietHandler
    headers: Headers

    def cleanup_headers(self) -> None:
        super().cleanup_headers()  # sets Content-Length when the body is one piece
        if "Content-Length" not in self.headers:
            self.request_handler.close_connection = True  # an unframed body ends the connection
        if self.request_handler.close_connection:
            self.headers["Connection"] = "close"


class _QuietHandler(WSGIRequestHandler):
    """A keep-alive request loop; no per-request log lines (they would print query strings,
    and slow benchmarks)."""

    protocol_version = "HTTP/1.1"
    timeout = 60  # an idle kept-alive connection is closed after this many seconds
    # The status line, headers and body go out in separate writes; without TCP_NODELAY a
    # kept-alive connection waits on the client's delayed ACK (about 40 ms) for each answer.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def handle(self) -> None:
        self.close_connection = True
        self._serve_one()
        while not self.close_connection:
            self._serve_one()

    def _serve_one(self) -> None:
        try:
            self.raw_requestline = self.rfile.readline(65537)
        except OSError:  # timed out, or closed by stop()
            self.close_connection = True
            return
        if not self.raw_requestline or self.server.closing.is_set():
            self.close_connection = True  # the client left, or the server is stopping
            return
        if len(self.raw_requestline) > 65536:
            self.requestline = self.request_version = self.command = ""
            self.send_error(414)
            self.close_connection = True
            return
        if not self.parse_request():  # an error answer was sent
            self.close_connection = True
            return
        # Read the whole body first, so that an answer which ignores it leaves nothing on the
        # connection for the next request. A chunked body is passed through as it comes, and
        # the connection closes after it.
        stdin: Any = self.rfile
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
        else:
            stdin = io.BytesIO(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        handler = _KeepAliveHandler(
            stdin, cast("IO[bytes]", self.wfile), self.get_stderr(), self.get_environ(), True
        )
        if self.request_version == "HTTP/1.1":
            handler.http_version = "1.1"
        handler.request_handler = self
        app = self.server.get_app()
        assert app is not None
        handler.run(app)
        with contextlib.suppress(OSError):
            self.wfile.flush()


class FakePlatformApp:
    """The WSGI application: routes a request to the platform module that serves it."""

    def __init__(self, world: World, publish: PublishWorld | None = None) -> None:
        self.world = world
        self.base = "http://127.0.0.1"
        self.graph = GraphHandler(world, lambda: f"{self.base}/{GRAPH_VERSION}")
        self.youtube = YouTubeHandler(world)
        self.tiktok = TikTokHandler(world)
        self.publish = PublishApp(publish) if publish is not None else None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        response = self.dispatch(request)
        return response(environ, start_response)

    def _module(self, path: str) -> tuple[Any, str] | None:
        """The read module for a path and the path it sees (starting with its version)."""
        head, _, rest = path.partition("/")
        if head == "graph":
            return self.graph, rest
        if _GRAPH_VERSION.fullmatch(head):
            return self.graph, path
        if head == "youtube":
            return self.youtube, rest
        if head == "tiktok":
            return self.tiktok, rest
        if head == "v2":
            return self.tiktok, path
        return None

    def dispatch(self, request: Request) -> Response:
        path = request.path.lstrip("/")
        head, _, rest = path.partition("/")
        try:
            if head == "_short":
                return self.short(rest)
            if head == "_admin":
                return self.admin(request, rest.strip("/"))
            module = self._module(path)
            if module is not None and module[0].serves(request, module[1]):
                response: Response = module[0].handle(request, module[1])
                return response
            published = self._publish(request)
            if published is not None:
                return published
            if module is not None:
                answer: Response = module[0].handle(request, module[1])
                return answer
        except Exception as exc:  # a bug in the fake must show, not hang a test
            return json_response({"error": {"message": f"fake server error: {exc!r}"}}, 500)
        return json_response({"error": {"message": f"no such path /{path}"}}, 404)

    def _publish(self, request: Request) -> Response | None:
        if self.publish is None:
            return None
        try:
            endpoint, _ = self.publish.map.bind_to_environ(request.environ).match()
        except (NotFound, MethodNotAllowed):
            return None
        try:
            response = self.publish.dispatch(request)
        except HTTPException as exc:
            response = exc.get_response()
        if response is None:
            return None
        self.world.calls.record(
            api="publish",
            endpoint=f"publish.{endpoint}",
            credential=None,
            status=response.status_code,
            world_time=self.world.clock.now(),
        )
        return response

    def short(self, rest: str) -> Response:
        host, _, path = rest.partition("/")
        post = self.world.short_link(host, path)
        self.world.calls.record(
            api="short",
            endpoint=f"short.{host}",
            credential=None,
            status=301 if post else 404,
            world_time=self.world.clock.now(),
        )
        if post is None:
            return Response("Not Found", status=404, content_type="text/plain")
        target = post.url
        if post.platform == "tiktok":
            target += "?_r=1&_t=ZS-8zQ4fakeplatform"
        return Response("", status=301, headers={"Location": target})

    def admin(self, request: Request, what: str) -> Response:
        w = self.world
        if what == "calls":
            if request.method == "DELETE":
                w.calls.reset()
                return json_response({"reset": True})
            body = w.calls.summary()
            body["calls"] = [c.to_json() for c in w.calls.calls()]
            body["operation_calls"] = [c.to_json() for c in w.calls.calls(operations=True)]
            return json_response(body)
        if what == "config":
            if request.method in ("POST", "PATCH", "PUT"):
                try:
                    changes = json.loads(request.get_data() or b"{}")
                    if not isinstance(changes, dict):
                        raise ValueError("expected a JSON object")
                    w.faults.update(changes)
                except (ValueError, TypeError) as exc:
                    return json_response({"error": {"message": str(exc)}}, 400)
            return json_response(w.faults.to_json())
        if what == "clock":
            if request.method == "POST":
                try:
                    body = json.loads(request.get_data() or b"{}")
                    if "advance_hours" in body:
                        w.clock.advance(timedelta(hours=float(body["advance_hours"])))
                    if "now" in body:
                        w.clock.set(datetime.fromisoformat(body["now"]))
                except (ValueError, TypeError, KeyError) as exc:
                    return json_response({"error": {"message": str(exc)}}, 400)
            return json_response({"now": w.clock.now().isoformat()})
        if what == "world":
            return json_response(w.summary())
        return json_response({"error": {"message": f"no admin endpoint {what!r}"}}, 404)


class ServerHandle:
    """A running fake server. Use as a context manager or call :meth:`stop`."""

    def __init__(
        self,
        world: World,
        server: _Server,
        thread: threading.Thread,
        publish: PublishWorld | None = None,
    ) -> None:
        self.world = world
        self.publish_world = publish
        self._server = server
        self._thread = thread
        self.host = str(server.server_address[0])
        self.port = int(server.server_address[1])

    @property
    def connections_accepted(self) -> int:
        """TCP connections the server has accepted (kept-alive ones count once)."""
        return self._server.accepted

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def graph_api_base(self) -> str:
        return f"{self.url}/{GRAPH_VERSION}"

    @property
    def youtube_api_base(self) -> str:
        return f"{self.url}/youtube/v3"

    @property
    def tiktok_api_base(self) -> str:
        return f"{self.url}/v2"

    @property
    def shortlink_base(self) -> str:
        return f"{self.url}/_short"

    @property
    def base_urls(self) -> dict[str, str]:
        return {
            "graph": self.graph_api_base,
            "youtube": self.youtube_api_base,
            "tiktok": self.tiktok_api_base,
            "shortlink": self.shortlink_base,
        }

    def settings_env(self) -> dict[str, str]:
        """``REELBOARD_*`` variables that point reelboard at this server and its world."""
        w = self.world
        return {
            "REELBOARD_GRAPH_API_BASE": self.graph_api_base,
            "REELBOARD_YOUTUBE_API_BASE": self.youtube_api_base,
            "REELBOARD_TIKTOK_API_BASE": self.tiktok_api_base,
            "REELBOARD_SHORTLINK_RESOLVER_BASE": self.shortlink_base,
            "REELBOARD_YOUTUBE_API_KEY": w.youtube_api_key,
            "REELBOARD_INSTAGRAM_USER_ID": w.committee.user_id,
            "REELBOARD_INSTAGRAM_ACCESS_TOKEN": str(w.committee.token),
        }

    def stop(self) -> None:
        self.world.stopping.set()  # wake requests sleeping on latency or timeouts
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start(
    world: World | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    publish: PublishWorld | bool | None = None,
) -> ServerHandle:
    """Serve ``world`` (a new default one if None) on ``host:port`` (0: any free port) in a
    background thread, and return its handle.

    ``publish``: True (a new publishing world on the same clock) or a
    :class:`~fakeplatform.publish_world.PublishWorld` also serves the publishing endpoints;
    whatever it publishes is adopted into ``world``.
    """
    world = world or World()
    world.stopping.clear()
    pub: PublishWorld | None = (
        PublishWorld(clock=world.clock.now) if publish is True else publish or None
    )
    if pub is not None:
        chained = pub.on_published
        publishing = pub

        def adopt(post: PublishedPost) -> None:
            account = publishing.by_id.get(post.account_id)
            world.adopt_published(
                post,
                handle=account.handle if account else None,
                token=account.token if account else None,
            )
            if chained is not None:
                chained(post)

        pub.on_published = adopt
    app = FakePlatformApp(world, pub)
    server = make_server(host, port, app, server_class=_Server, handler_class=_QuietHandler)
    app.base = f"http://{host}:{server.server_port}"
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="fakeplatform",
        daemon=True,
    )
    thread.start()
    return ServerHandle(world, server, thread, pub)


__all__ = ["GRAPH_VERSION", "FakePlatformApp", "ServerHandle", "start"]
