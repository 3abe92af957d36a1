"""The demo: a clearly labelled demo challenge with about 40 libraries across Indonesia.

Everything is deterministic (a seeded generator), so two demos look the same. Names carry no
real account: handles end in ``.demo`` and tokens are made up.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from collector.urls import PostRef
from services import registry
from services.demo_scores import seed_demo_scores
from services.rubrics import read_rubric_file
from store import queries
from store.crypto import TokenBox
from store.enums import Pillar, Platform, Role, Tier
from store.models import Challenge, Entry, Library, SocialAccount

DEMO_SLUG = "demo-reels-2026"
DEMO_TITLE = "[DEMO] Tantangan Reels Literasi 2026"
DEMO_ACTOR = "demo"
DEMO_PASSWORD = "demo-reelboard"

# (province, regency/city): spread over the three time zones.
PLACES = [
    ("Aceh", "Banda Aceh"),
    ("Sumatera Utara", "Medan"),
    ("Sumatera Barat", "Padang"),
    ("Riau", "Pekanbaru"),
    ("Sumatera Selatan", "Palembang"),
    ("Lampung", "Bandar Lampung"),
    ("DKI Jakarta", "Jakarta Selatan"),
    ("Jawa Barat", "Bandung"),
    ("Jawa Barat", "Garut"),
    ("Jawa Tengah", "Semarang"),
    ("Jawa Tengah", "Banyumas"),
    ("DI Yogyakarta", "Sleman"),
    ("Jawa Timur", "Surabaya"),
    ("Jawa Timur", "Banyuwangi"),
    ("Kalimantan Barat", "Pontianak"),
    ("Bali", "Denpasar"),
    ("Bali", "Gianyar"),
    ("Nusa Tenggara Barat", "Lombok Timur"),
    ("Nusa Tenggara Timur", "Kupang"),
    ("Kalimantan Selatan", "Banjarmasin"),
    ("Kalimantan Timur", "Samarinda"),
    ("Sulawesi Selatan", "Makassar"),
    ("Sulawesi Selatan", "Gowa"),
    ("Sulawesi Utara", "Manado"),
    ("Sulawesi Tengah", "Palu"),
    ("Gorontalo", "Gorontalo"),
    ("Maluku", "Ambon"),
    ("Maluku Utara", "Ternate"),
    ("Papua", "Jayapura"),
    ("Papua Barat", "Manokwari"),
    ("Papua Selatan", "Merauke"),
]
VILLAGES = [
    "Sukamaju",
    "Sidomulyo",
    "Tanjung Harapan",
    "Mekarsari",
    "Karanganyar",
    "Wae Rebo",
    "Bontomarannu",
    "Waena",
    "Tulehu",
    "Penglipuran",
]

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"


@dataclass
class DemoResult:
    challenge: Challenge
    created: bool
    libraries: int = 0
    entries: int = 0
    users: list[tuple[str, str]] = field(default_factory=list)


def _post_ref(rng: random.Random, platform: Platform, handle: str) -> PostRef:
    if platform is Platform.INSTAGRAM:
        code = "D" + "".join(rng.choice(_ALPHABET[:62]) for _ in range(10))
        return PostRef(platform, code, f"https://www.instagram.com/reel/{code}/", handle)
    if platform is Platform.YOUTUBE:
        vid = "".join(rng.choice(_ALPHABET) for _ in range(11))
        return PostRef(platform, vid, f"https://www.youtube.com/watch?v={vid}")
    if platform is Platform.TIKTOK:
        vid = str(rng.randrange(7_400_000_000_000_000_000, 7_499_999_999_999_999_999))
        return PostRef(platform, vid, f"https://www.tiktok.com/@{handle}/video/{vid}", handle)
    vid = str(rng.randrange(1_000_000_000_000_000, 1_999_999_999_999_999))
    return PostRef(platform, vid, f"https://www.facebook.com/watch/?v={vid}")


def _libraries(rng: random.Random) -> list[tuple[str, Tier, str, str]]:
    """(name, tier, province, regency) for about 40 libraries."""
    out: list[tuple[str, Tier, str, str]] = []
    for province, city in PLACES:
        out.append((f"Perpustakaan Daerah {city}", Tier.KABUPATEN_KOTA, province, city))
    for i, village in enumerate(VILLAGES):
        province, city = PLACES[(i * 3 + 1) % len(PLACES)]
        out.append((f"Perpustakaan Desa {village}", Tier.DESA_KELURAHAN, province, city))
    rng.shuffle(out)
    return out


def seed_demo(session: Session, box: TokenBox, now: datetime | None = None) -> DemoResult:
    """Create the demo challenge and its libraries, accounts, entries and users, once."""
    existing = queries.challenge_by_slug(session, DEMO_SLUG)
    if existing is not None:
        return DemoResult(existing, created=False)
    now = now or datetime.now(UTC)
    rng = random.Random(2026)
    challenge = registry.add_challenge(
        session,
        slug=DEMO_SLUG,
        title=DEMO_TITLE,
        opens_at=(now - timedelta(days=10)).replace(minute=0, second=0, microsecond=0),
        closes_at=(now + timedelta(days=20)).replace(minute=0, second=0, microsecond=0),
        timezone="Asia/Jakarta",
        hashtags=["LiterasiBerdaya", "ReelsPerpustakaan"],
        platforms=[p.value for p in Platform],
        rubric=read_rubric_file(None),
        actor=DEMO_ACTOR,
    )
    registry.open_challenge(session, challenge, DEMO_ACTOR)
    result = DemoResult(challenge, created=True)
    platforms = list(Platform)
    pillars = list(Pillar)
    for index, (name, tier, province, city) in enumerate(_libraries(rng)):
        library = registry.add_library(
            session,
            name=name,
            tier=tier.value,
            province=province,
            regency_city=city,
            actor=DEMO_ACTOR,
        )
        result.libraries += 1
        slug = name.lower().replace("perpustakaan ", "").replace(" ", "")
        # Every platform appears; most libraries enter one or two posts.
        chosen = {platforms[index % 4]}
        if rng.random() < 0.45:
            chosen.add(rng.choice(platforms))
        for platform in sorted(chosen):
            handle = f"perpus.{slug}.demo"
            account = SocialAccount(
                library=library,
                platform=platform,
                handle=handle,
                external_id=str(rng.randrange(10**15, 10**16)),
                token_encrypted=box.seal(f"demo-token-{platform}-{slug}"),
                token_expires_at=now + timedelta(days=50),
            )
            session.add(account)
            ref = _post_ref(rng, platform, handle)
            session.add(
                Entry(
                    challenge=challenge,
                    library=library,
                    account=account,
                    platform=platform,
                    canonical_url=ref.canonical_url,
                    post_id=ref.post_id,
                    media_id=None if platform is Platform.INSTAGRAM else ref.post_id,
                    pillar=rng.choice(pillars),
                    posted_at=challenge.opens_at + timedelta(hours=rng.randrange(1, 9 * 24)),
                    title=f"Reels literasi dari {name}",
                )
            )
            result.entries += 1
    session.flush()
    first_library: Library | None = queries.library_by_name(
        session, _libraries(random.Random(2026))[0][0]
    )
    for role in Role:
        username = f"demo-{role.value}"
        registry.add_user(
            session,
            username=username,
            password=DEMO_PASSWORD,
            role=role.value,
            library_name=first_library.name if role is Role.LIBRARY and first_library else None,
            display_name=f"Demo {role.value}",
            actor=DEMO_ACTOR,
        )
        result.users.append((username, DEMO_PASSWORD))
    # Judges' scores and the committee's indicators, so the board has all three criteria.
    result.users += seed_demo_scores(session, challenge, DEMO_PASSWORD, DEMO_ACTOR, now)
    return result
