"""Glue between the database and the fake platform world (tests, the benchmark, the demo).

- :func:`challenge_from_world` registers a challenge whose entries are posts of a fake world
  (libraries, accounts with their fake tokens sealed, entries), so a round can run against the
  fake server.
- :func:`world_from_challenge` does the reverse for the demo: every entry of a challenge becomes
  a post in the fake world, under the account (handle, id, token) the database holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from fakeplatform.world import Account, Post, World
from services import registry
from services.rubrics import read_rubric_file
from store import collection as q
from store.crypto import TokenBox
from store.enums import ChallengeStatus, Platform, Tier
from store.models import Challenge, Entry, Library, SocialAccount


def challenge_from_world(
    session: Session,
    box: TokenBox,
    world: World,
    posts: Iterable[Post],
    *,
    slug: str = "fake-reels",
    title: str = "Fake-platform reels challenge",
    actor: str = "fakeworld",
    opens_at: datetime | None = None,
) -> Challenge:
    """An open challenge with one entry per post, one library per account."""
    start = opens_at or world.clock.now() - timedelta(days=30)
    challenge = registry.add_challenge(
        session,
        slug=slug,
        title=title,
        opens_at=start,
        closes_at=start + timedelta(days=60),
        timezone="Asia/Jakarta",
        hashtags=["LiterasiBerdaya"],
        platforms=[p.value for p in Platform],
        rubric=read_rubric_file(None),
        actor=actor,
    )
    challenge.status = ChallengeStatus.OPEN
    accounts: dict[int, SocialAccount] = {}
    for post in posts:
        acct = accounts.get(id(post.account))
        if acct is None:
            acct = _account(session, box, post.account)
            accounts[id(post.account)] = acct
        session.add(
            Entry(
                challenge=challenge,
                library=acct.library,
                account=acct,
                platform=Platform(post.platform),
                canonical_url=post.url,
                post_id=post.post_id,
                media_id=None if post.platform == "instagram" else post.post_id,
            )
        )
    session.flush()
    return challenge


def _account(session: Session, box: TokenBox, account: Account) -> SocialAccount:
    library = Library(
        name=f"Perpustakaan {account.platform} {account.handle}",
        tier=Tier.KABUPATEN_KOTA,
        province="Jawa Barat",
        regency_city="Bandung",
        timezone="Asia/Jakarta",
    )
    acct = SocialAccount(
        library=library,
        platform=Platform(account.platform),
        handle=account.handle,
        external_id=account.user_id,
        token_encrypted=box.seal(account.token) if account.token else None,
    )
    session.add_all([library, acct])
    return acct


def world_from_challenge(
    session: Session, box: TokenBox, world: World, challenge: Challenge
) -> int:
    """Add every active entry of ``challenge`` to ``world`` as a post; returns how many."""
    rows = q.active_entry_rows(session, challenge.id)
    entries = {e.id: e for e in q.entries_by_ids(session, [r.entry_id for r in rows])}
    made: dict[int, Account] = {}
    added = 0
    for row in rows:
        entry = entries[row.entry_id]
        account = entry.account
        if account is None:
            continue
        fake = made.get(account.id)
        if fake is None:
            token = box.open(account.token_encrypted) if account.token_encrypted else None
            existing = world.account(account.platform.value, account.external_id or "")
            fake = existing or world.add_account(
                account.platform.value,
                handle=account.handle,
                name=account.library.name,
                connected=token is not None,
                token=token,
                user_id=account.external_id,
            )
            made[account.id] = fake
        if world.post(entry.platform.value, entry.post_id) is not None:
            continue
        posted = entry.posted_at or world.clock.now() - timedelta(days=3)
        world.add_post(
            fake,
            post_id=entry.post_id,
            media_id=entry.media_id,
            created_at=min(posted, world.clock.now() - timedelta(hours=1)),
            caption=entry.title,
        )
        added += 1
    return added


__all__ = ["challenge_from_world", "world_from_challenge"]
