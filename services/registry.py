"""Registering libraries, accounts, users, challenges and entries."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from collector.urls import PostRef, ShortLink, expand_short_link, parse_post_url
from services import audit
from services.auth import MIN_PASSWORD_LENGTH, hash_password
from services.errors import BadInput
from services.geo import normalise_province, normalise_timezone, timezone_for
from services.rubrics import validate_rubric
from store import queries
from store.crypto import TokenBox
from store.enums import ChallengeStatus, Pillar, Platform, Role, Tier
from store.models import Challenge, Entry, Library, RubricVersion, SocialAccount, User

TIER_ALIASES = {
    "provinsi": Tier.PROVINSI,
    "province": Tier.PROVINSI,
    "kabupaten_kota": Tier.KABUPATEN_KOTA,
    "kabupaten/kota": Tier.KABUPATEN_KOTA,
    "kab/kota": Tier.KABUPATEN_KOTA,
    "kabupaten": Tier.KABUPATEN_KOTA,
    "kota": Tier.KABUPATEN_KOTA,
    "regency/city": Tier.KABUPATEN_KOTA,
    "desa_kelurahan": Tier.DESA_KELURAHAN,
    "desa/kelurahan": Tier.DESA_KELURAHAN,
    "desa": Tier.DESA_KELURAHAN,
    "kelurahan": Tier.DESA_KELURAHAN,
    "village": Tier.DESA_KELURAHAN,
}

PILLAR_ALIASES = {
    **{p.value: p for p in Pillar},
    "layanan informasi": Pillar.LAYANAN_INFORMASI,
    "information services": Pillar.LAYANAN_INFORMASI,
    "pelibatan masyarakat": Pillar.PELIBATAN_MASYARAKAT,
    "community engagement": Pillar.PELIBATAN_MASYARAKAT,
    "advokasi dan kemitraan": Pillar.ADVOKASI_KEMITRAAN,
    "advokasi & kemitraan": Pillar.ADVOKASI_KEMITRAAN,
    "advokasi kemitraan": Pillar.ADVOKASI_KEMITRAAN,
    "advocacy/partnerships": Pillar.ADVOKASI_KEMITRAAN,
    "advocacy and partnerships": Pillar.ADVOKASI_KEMITRAAN,
    "promosi": Pillar.PROMOSI,
    "promotion": Pillar.PROMOSI,
}


def parse_tier(raw: str) -> Tier:
    tier = TIER_ALIASES.get(" ".join(raw.split()).lower())
    if tier is None:
        raise BadInput(f"unknown tier {raw!r}: expected provinsi, kabupaten_kota or desa_kelurahan")
    return tier


def parse_pillar(raw: str | None) -> Pillar | None:
    if raw is None or not raw.strip():
        return None
    pillar = PILLAR_ALIASES.get(" ".join(raw.split()).lower())
    if pillar is None:
        raise BadInput(
            f"unknown pillar {raw!r}: expected layanan_informasi, pelibatan_masyarakat, "
            "advokasi_kemitraan or promosi"
        )
    return pillar


def parse_platform(raw: str) -> Platform:
    try:
        return Platform(raw.strip().lower())
    except ValueError:
        raise BadInput(
            f"unknown platform {raw!r}: expected instagram, facebook, tiktok or youtube"
        ) from None


def parse_role(raw: str) -> Role:
    try:
        return Role(raw.strip().lower())
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise BadInput(f"unknown role {raw!r}: expected one of {roles}") from None


def clean_handle(raw: str) -> str:
    handle = raw.strip().lstrip("@")
    if not handle or any(c.isspace() for c in handle):
        raise BadInput(f"account handle {raw!r} is empty or has spaces")
    return handle


# --- libraries --------------------------------------------------------------------------------


def add_library(
    session: Session,
    *,
    name: str,
    tier: str,
    province: str,
    timezone: str | None = None,
    regency_city: str | None = None,
    actor: str,
) -> Library:
    clean = " ".join(name.split())
    if not clean:
        raise BadInput("library name is empty")
    if queries.library_by_name(session, clean) is not None:
        raise BadInput(f"library {clean!r} already exists")
    prov = normalise_province(province)
    lib = Library(
        name=clean,
        tier=parse_tier(tier),
        province=prov,
        regency_city=(regency_city or "").strip() or None,
        timezone=timezone_for(prov, timezone),
    )
    session.add(lib)
    session.flush()
    audit.record(session, actor, "library.add", "library", lib.id, name=clean)
    return lib


def require_library(session: Session, name: str) -> Library:
    lib = queries.library_by_name(session, name)
    if lib is None:
        raise BadInput(f"no library named {name!r} (add it with `reelboard library add`)")
    return lib


# --- accounts ---------------------------------------------------------------------------------


def add_account(
    session: Session,
    *,
    library: Library,
    platform: str,
    handle: str,
    external_id: str | None,
    token: str | None,
    token_expires_at: datetime | None,
    box: Callable[[], TokenBox],
    actor: str,
) -> SocialAccount:
    plat = parse_platform(platform)
    clean = clean_handle(handle)
    existing = queries.account_by_handle(session, plat, clean)
    if existing is not None:
        raise BadInput(f"{plat} account @{clean} already exists (library #{existing.library_id})")
    account = SocialAccount(
        library=library,
        platform=plat,
        handle=clean,
        external_id=(external_id or "").strip() or None,
        token_encrypted=box().seal(token) if token else None,
        token_expires_at=token_expires_at,
    )
    session.add(account)
    session.flush()
    # The token itself is never written to the audit log.
    audit.record(
        session,
        actor,
        "account.add",
        "social_account",
        account.id,
        platform=plat.value,
        handle=clean,
        has_token=bool(token),
    )
    return account


def find_or_create_account(
    session: Session, library: Library, platform: Platform, handle: str, actor: str
) -> SocialAccount:
    clean = clean_handle(handle)
    account = queries.account_by_handle(session, platform, clean)
    if account is None:
        account = SocialAccount(library=library, platform=platform, handle=clean)
        session.add(account)
        session.flush()
        audit.record(session, actor, "account.add", "social_account", account.id, handle=clean)
    elif account.library_id != library.id:
        raise BadInput(
            f"{platform} account @{clean} belongs to another library (#{account.library_id})"
        )
    return account


# --- users ------------------------------------------------------------------------------------


def add_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    library_name: str | None,
    display_name: str | None = None,
    actor: str,
) -> User:
    name = username.strip()
    if not name or any(c.isspace() for c in name):
        raise BadInput(f"username {username!r} is empty or has spaces")
    if queries.user_by_name(session, name) is not None:
        raise BadInput(f"user {name!r} already exists")
    parsed_role = parse_role(role)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadInput(f"password is shorter than {MIN_PASSWORD_LENGTH} characters")
    library = None
    if parsed_role is Role.LIBRARY:
        if not library_name:
            raise BadInput("a library user needs --library NAME")
        library = require_library(session, library_name)
    elif library_name:
        raise BadInput(f"only library users belong to a library, not {parsed_role} users")
    user = User(
        username=name,
        password_hash=hash_password(password),
        role=parsed_role,
        library=library,
        display_name=display_name,
    )
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.add", "user", user.id, username=name, role=parsed_role.value)
    return user


# --- challenges -------------------------------------------------------------------------------


def rubric_hash(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def add_challenge(
    session: Session,
    *,
    slug: str,
    title: str,
    opens_at: datetime,
    closes_at: datetime,
    timezone: str,
    hashtags: Iterable[str],
    platforms: Iterable[str],
    rubric: str,
    actor: str,
) -> Challenge:
    clean_slug = slug.strip().lower()
    if not clean_slug or not all(c.isalnum() or c in "-_" for c in clean_slug):
        raise BadInput(f"slug {slug!r} must be letters, digits, '-' or '_'")
    if queries.challenge_by_slug(session, clean_slug) is not None:
        raise BadInput(f"challenge {clean_slug!r} already exists")
    if closes_at <= opens_at:
        raise BadInput("--close must be after --open")
    tags = []
    for raw in hashtags:
        tag = raw.strip().lstrip("#")
        if not tag or not all(c.isalnum() or c == "_" for c in tag):
            raise BadInput(f"hashtag {raw!r} must be letters, digits or '_'")
        tags.append(tag)
    plats = sorted({parse_platform(p).value for p in platforms} or {p.value for p in Platform})
    validate_rubric(rubric)
    challenge = Challenge(
        slug=clean_slug,
        title=title.strip() or clean_slug,
        opens_at=opens_at,
        closes_at=closes_at,
        timezone=normalise_timezone(timezone),
        hashtags=tags,
        platforms=plats,
        status=ChallengeStatus.DRAFT,
        cadence={},
    )
    session.add(challenge)
    session.flush()
    session.add(
        RubricVersion(
            challenge=challenge,
            version=1,
            document=rubric,
            sha256=rubric_hash(rubric),
            created_by=actor,
        )
    )
    audit.record(session, actor, "challenge.add", "challenge", challenge.id, slug=clean_slug)
    return challenge


def set_rubric(session: Session, challenge: Challenge, document: str, actor: str) -> RubricVersion:
    """A changed rubric becomes a new version; older boards keep theirs."""
    validate_rubric(document)
    current = queries.latest_rubric(session, challenge.id)
    if current is not None and current.sha256 == rubric_hash(document):
        return current
    version = RubricVersion(
        challenge=challenge,
        version=(current.version + 1) if current else 1,
        document=document,
        sha256=rubric_hash(document),
        created_by=actor,
    )
    session.add(version)
    session.flush()
    audit.record(session, actor, "rubric.set", "challenge", challenge.id, version=version.version)
    return version


def open_challenge(session: Session, challenge: Challenge, actor: str) -> Challenge:
    """Start a drafted challenge: entries are collected and boards computed from now on."""
    if challenge.status is not ChallengeStatus.DRAFT:
        raise BadInput(f"challenge {challenge.slug!r} is {challenge.status}, not draft")
    challenge.status = ChallengeStatus.OPEN
    audit.record(session, actor, "challenge.open", "challenge", challenge.id)
    return challenge


def require_challenge(session: Session, slug: str) -> Challenge:
    challenge = queries.challenge_by_slug(session, slug.strip().lower())
    if challenge is None:
        raise BadInput(f"no challenge with slug {slug!r}")
    return challenge


# --- entries ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UrlResolver:
    """Turns a pasted URL into a :class:`PostRef`, expanding short links over HTTP."""

    shortlink_base: str | None = None

    def __call__(self, url: str) -> PostRef:
        parsed = parse_post_url(url)
        if isinstance(parsed, ShortLink):
            return expand_short_link(parsed, resolver_base=self.shortlink_base)
        return parsed


def check_platform_allowed(challenge: Challenge, platform: Platform) -> None:
    if platform.value not in challenge.platforms:
        allowed = ", ".join(challenge.platforms)
        raise BadInput(f"challenge {challenge.slug!r} takes {allowed} posts, not {platform}")


def add_entry(
    session: Session,
    *,
    challenge: Challenge,
    library: Library,
    ref: PostRef,
    pillar: Pillar | None,
    account_handle: str | None,
    actor: str,
) -> Entry:
    check_platform_allowed(challenge, ref.platform)
    existing = queries.entry_by_post(session, challenge.id, ref.platform, ref.post_id)
    if existing is not None:
        raise BadInput(f"{ref.canonical_url} is already entry #{existing.id} of {challenge.slug!r}")
    handle = account_handle or ref.username
    account = None
    if handle:
        account = find_or_create_account(session, library, ref.platform, handle, actor)
    else:
        account = next((a for a in library.accounts if a.platform == ref.platform), None)
    entry = Entry(
        challenge=challenge,
        library=library,
        account=account,
        platform=ref.platform,
        canonical_url=ref.canonical_url,
        post_id=ref.post_id,
        media_id=None if ref.platform is Platform.INSTAGRAM else ref.post_id,
        pillar=pillar,
    )
    session.add(entry)
    session.flush()
    audit.record(
        session, actor, "entry.add", "entry", entry.id, url=ref.canonical_url, library=library.name
    )
    return entry
