"""The product's fixed vocabularies, stored as their string values."""

from __future__ import annotations

from enum import StrEnum


class Tier(StrEnum):
    PROVINSI = "provinsi"
    KABUPATEN_KOTA = "kabupaten_kota"
    DESA_KELURAHAN = "desa_kelurahan"


class Platform(StrEnum):
    INSTAGRAM = "instagram"
    FACEBOOK = "facebook"
    TIKTOK = "tiktok"
    YOUTUBE = "youtube"


class AccountStatus(StrEnum):
    OK = "ok"
    NEEDS_REAUTH = "needs_reauth"


class ChallengeStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    FROZEN = "frozen"
    PUBLISHED = "published"


class Pillar(StrEnum):
    LAYANAN_INFORMASI = "layanan_informasi"
    PELIBATAN_MASYARAKAT = "pelibatan_masyarakat"
    ADVOKASI_KEMITRAAN = "advokasi_kemitraan"
    PROMOSI = "promosi"


class EntryStatus(StrEnum):
    ACTIVE = "active"
    UNAVAILABLE = "unavailable"
    DISQUALIFIED = "disqualified"


class MetricSource(StrEnum):
    API = "api"
    MANUAL = "manual"


class Role(StrEnum):
    ADMIN = "admin"
    COMMITTEE = "committee"
    JUDGE = "judge"
    LIBRARY = "library"
    VIEWER = "viewer"


class PostState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Approver(StrEnum):
    """Who approves a library's scheduled posts for a challenge."""

    LIBRARY_ADMIN = "library_admin"
    COMMITTEE = "committee"


# The three Indonesian time zones a library may be in.
TIMEZONES: dict[str, str] = {
    "Asia/Jakarta": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}
