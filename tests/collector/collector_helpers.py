"""Helpers shared by the collector tests (imported by module name; pytest puts this folder on
sys.path)."""

from __future__ import annotations

from collector.base import AccountRef, Credential, CredentialKind, PostRef
from collector.http import HttpConfig
from fakeplatform.world import Account, Post

# Short timeouts and backoffs keep failure tests fast; the behaviour is the production code's.
# The read timeout leaves room for a busy machine (tests run in parallel on two cores): an answer
# of the in-process fake server that comes late under load must not count as a timeout.
FAST = HttpConfig(
    connect_timeout=2.0,
    read_timeout=1.5,
    retries=2,
    backoff_factor=0.01,
    backoff_jitter=0.01,
    backoff_max=0.05,
)

# How long the fake server's injected timeouts wait before answering: well past FAST's read timeout.
TIMEOUT_DELAY = 3.0


def cred(account: Account) -> Credential:
    """The credential of a library's connected account."""
    return Credential(
        key=f"account:{account.handle}",
        kind=CredentialKind.ACCOUNT,
        token=account.token,
        user_id=account.user_id,
        handle=account.handle,
    )


def ref(account: Account) -> AccountRef:
    return AccountRef(key=account.handle, handle=account.handle, user_id=account.user_id)


def post_ref(post: Post, *, with_media_id: bool = False) -> PostRef:
    return PostRef(
        post_id=post.post_id,
        media_id=post.media_id if with_media_id else None,
        owner=ref(post.account),
    )
