"""The publishing endpoints of the fake platforms as one WSGI app, and a loopback server.

``PublishApp.dispatch(request)`` answers the publishing routes and returns None for anything
else, so the fake platform server can hand it the requests it does not serve itself.
:func:`start` runs the app alone on 127.0.0.1 (tests and the demo), with base URLs::

    graph   {url}/v25.0          (Instagram, Facebook; rupload at {url}/video-upload/...)
    tiktok  {url}/v2
    youtube {url}/youtube/v3     (uploads at {url}/upload/youtube/v3)
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from fakeplatform import publish_facebook, publish_instagram, publish_tiktok, publish_youtube
from fakeplatform.publish_common import Handler, as_json, graph_error
from fakeplatform.publish_world import PublishWorld

GRAPH_VERSION = "v25.0"


def _read_graph_object(world: PublishWorld, request: Request, values: dict[str, Any]) -> Response:
    answer = publish_instagram.read_object(world, request, values)
    if answer is None:
        answer = publish_facebook.read_object(world, request, values)
    if answer is not None:
        return answer
    return graph_error(
        f"Unsupported get request. Object with ID '{values['object_id']}' does not exist",
        100,
        33,
    )


def _list_videos(world: PublishWorld, request: Request, values: dict[str, Any]) -> Response:
    answer = publish_youtube.videos_list(world, request, values)
    if answer is None:
        return as_json({"kind": "youtube#videoListResponse", "items": []})
    return answer


class PublishApp:
    def __init__(self, world: PublishWorld) -> None:
        self.world = world
        self.handlers: dict[str, Handler] = {
            "graph.object": _read_graph_object,
            "yt.list": _list_videos,
        }
        rules = [
            Rule("/<ver>/<object_id>", methods=["GET"], endpoint="graph.object"),
            Rule("/youtube/v3/videos", methods=["GET"], endpoint="yt.list"),
        ]
        for module in (publish_instagram, publish_facebook, publish_tiktok, publish_youtube):
            rules.extend(r.empty() for r in module.RULES)
            self.handlers.update(module.HANDLERS)
        self.map = Map(rules, strict_slashes=False)

    def dispatch(self, request: Request) -> Response | None:
        adapter = self.map.bind_to_environ(request.environ)
        try:
            endpoint, values = adapter.match()
        except (NotFound, MethodNotAllowed):
            return None
        return self.handlers[str(endpoint)](self.world, request, dict(values))

    def __call__(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        try:
            response: Any = self.dispatch(request) or NotFound()
        except HTTPException as exc:
            response = exc
        return response(environ, start_response)


class _Server(ThreadingMixIn, WSGIServer):
    """The standard library's WSGI server, one thread per request.

    Not werkzeug's development server: it drops request headers with underscores, and Meta's
    rupload takes ``file_size`` and ``file_url``.
    """

    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class RunningPublishServer:
    url: str
    world: PublishWorld
    server: WSGIServer
    thread: threading.Thread

    @property
    def graph_base(self) -> str:
        return f"{self.url}/{GRAPH_VERSION}"

    @property
    def tiktok_base(self) -> str:
        return f"{self.url}/v2"

    @property
    def youtube_base(self) -> str:
        return f"{self.url}/youtube/v3"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def start(
    world: PublishWorld | None = None, host: str = "127.0.0.1", port: int = 0
) -> RunningPublishServer:
    world = world or PublishWorld()
    server = make_server(
        host, port, PublishApp(world), server_class=_Server, handler_class=_QuietHandler
    )
    # A short poll interval: stop() (shutdown) waits for the loop's next poll.
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="fake-publish",
        daemon=True,
    )
    thread.start()
    return RunningPublishServer(f"http://{host}:{server.server_port}", world, server, thread)


__all__ = ["GRAPH_VERSION", "PublishApp", "RunningPublishServer", "start"]
