"""The committee's spreadsheets: registrations and manual metrics. All or nothing.

Every row is checked before anything is written; one bad row means nothing is written and every
bad row is reported with its line and reason. A post already registered (in the file or in the
database) is reported as a duplicate and not written twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from collector.urls import PostRef, PostUrlError
from services import audit
from services.csvfile import CsvRow, parse_count, read_rows
from services.errors import BadInput, RowErrors, RowProblem
from services.geo import normalise_province, timezone_for
from services.registry import (
    UrlResolver,
    check_platform_allowed,
    clean_handle,
    parse_pillar,
    parse_tier,
)
from services.timeparse import parse_local
from store import queries
from store.enums import MetricSource, Pillar, Tier
from store.models import Challenge, Entry, Library, MetricSnapshot, SocialAccount

Progress = Callable[[int], None]

ENTRY_COLUMNS = {
    "library": "library",
    "library_name": "library",
    "perpustakaan": "library",
    "nama_perpustakaan": "library",
    "tier": "tier",
    "tingkat": "tier",
    "jenis_perpustakaan": "tier",
    "province": "province",
    "provinsi": "province",
    "url": "url",
    "link": "url",
    "tautan": "url",
    "post_url": "url",
    "tautan_video": "url",
    "link_video": "url",
    "account": "account",
    "account_handle": "account",
    "handle": "account",
    "akun": "account",
    "username": "account",
    "pillar": "pillar",
    "pilar": "pillar",
    "timezone": "timezone",
    "time_zone": "timezone",
    "zona_waktu": "timezone",
    "regency_city": "regency_city",
    "kabupaten_kota": "regency_city",
    "kab_kota": "regency_city",
    "city": "regency_city",
}
METRIC_COLUMNS = {
    "url": "url",
    "link": "url",
    "tautan": "url",
    "collected_at": "collected_at",
    "waktu": "collected_at",
    "tanggal": "collected_at",
    "date": "collected_at",
    **{k: k for k in ("views", "likes", "comments", "shares", "saves", "reach")},
    "tayangan": "views",
    "suka": "likes",
    "komentar": "comments",
    "dibagikan": "shares",
    "disimpan": "saves",
    "jangkauan": "reach",
}
COUNTS = ("views", "likes", "comments", "shares", "saves", "reach")


@dataclass(frozen=True)
class Duplicate:
    line: int
    url: str
    reason: str


@dataclass
class ImportResult:
    written: int = 0
    libraries_added: list[str] = field(default_factory=list)
    accounts_added: int = 0
    duplicates: list[Duplicate] = field(default_factory=list)


@dataclass
class _LibraryRow:
    name: str
    tier: Tier
    province: str
    timezone: str
    regency_city: str | None
    line: int


@dataclass
class _EntryRow:
    line: int
    library: str
    ref: PostRef
    pillar: Pillar | None
    handle: str | None


def import_entries(
    session: Session,
    challenge: Challenge,
    path: Path,
    *,
    resolve: UrlResolver,
    actor: str,
    progress: Progress | None = None,
) -> ImportResult:
    _, rows = read_rows(path, ENTRY_COLUMNS, {"library", "tier", "province", "url"})
    problems: list[RowProblem] = []
    result = ImportResult()
    new_libraries: dict[str, _LibraryRow] = {}
    seen: dict[tuple[str, str], int] = {}
    handle_owner: dict[tuple[str, str], str] = {}
    known = queries.entry_keys(session, challenge.id)
    accepted: list[_EntryRow] = []

    for row in rows:
        try:
            parsed = _check_entry_row(session, challenge, row, resolve, new_libraries)
        except (BadInput, PostUrlError) as exc:
            problems.append(RowProblem(row.line, str(exc)))
            parsed = None
        if progress:
            progress(1)
        if parsed is None:
            continue
        key = (parsed.ref.platform.value, parsed.ref.post_id)
        if key in seen:
            result.duplicates.append(
                Duplicate(row.line, parsed.ref.canonical_url, f"same post as line {seen[key]}")
            )
            continue
        seen[key] = row.line
        if key in known:
            result.duplicates.append(
                Duplicate(row.line, parsed.ref.canonical_url, f"already entry #{known[key]}")
            )
            continue
        handle = parsed.handle or parsed.ref.username
        if handle:
            owner_key = (parsed.ref.platform.value, handle.lower())
            owner = handle_owner.setdefault(owner_key, parsed.library.lower())
            existing = queries.account_by_handle(session, parsed.ref.platform, handle)
            if owner != parsed.library.lower() or (
                existing is not None and existing.library.name.lower() != parsed.library.lower()
            ):
                problems.append(
                    RowProblem(
                        row.line,
                        f"{parsed.ref.platform} account @{handle} is given to two libraries",
                    )
                )
                continue
        accepted.append(parsed)

    if problems:
        raise RowErrors(str(path), problems)

    libraries: dict[str, Library] = {}
    for lib_key, spec in new_libraries.items():
        lib = Library(
            name=spec.name,
            tier=spec.tier,
            province=spec.province,
            timezone=spec.timezone,
            regency_city=spec.regency_city,
        )
        session.add(lib)
        libraries[lib_key] = lib
        result.libraries_added.append(spec.name)
    session.flush()
    for spec_row in accepted:
        library = libraries.get(spec_row.library.lower()) or queries.library_by_name(
            session, spec_row.library
        )
        assert library is not None
        account = _account_for(session, library, spec_row, result)
        session.add(
            Entry(
                challenge=challenge,
                library=library,
                account=account,
                platform=spec_row.ref.platform,
                canonical_url=spec_row.ref.canonical_url,
                post_id=spec_row.ref.post_id,
                media_id=None if spec_row.ref.platform == "instagram" else spec_row.ref.post_id,
                pillar=spec_row.pillar,
            )
        )
        result.written += 1
    session.flush()
    audit.record(
        session,
        actor,
        "entries.import",
        "challenge",
        challenge.id,
        file=path.name,
        entries=result.written,
        libraries=len(result.libraries_added),
        duplicates=len(result.duplicates),
    )
    return result


def _check_entry_row(
    session: Session,
    challenge: Challenge,
    row: CsvRow,
    resolve: UrlResolver,
    new_libraries: dict[str, _LibraryRow],
) -> _EntryRow:
    v = row.values
    name = " ".join(v.get("library", "").split())
    if not name:
        raise BadInput("library is empty")
    if not v.get("url"):
        raise BadInput("url is empty")
    tier = parse_tier(v.get("tier", ""))
    province = normalise_province(v.get("province", ""))
    existing = queries.library_by_name(session, name)
    if existing is not None:
        if existing.tier != tier or existing.province != province:
            raise BadInput(
                f"library {name!r} is registered as {existing.tier} in {existing.province}, "
                f"but this row says {tier} in {province}"
            )
    else:
        spec = new_libraries.get(name.lower())
        if spec is None:
            spec = _LibraryRow(
                name=name,
                tier=tier,
                province=province,
                timezone=timezone_for(province, v.get("timezone") or None),
                regency_city=v.get("regency_city") or None,
                line=row.line,
            )
            new_libraries[name.lower()] = spec
        elif spec.tier != tier or spec.province != province:
            raise BadInput(
                f"library {name!r} is {spec.tier} in {spec.province} on line {spec.line}, "
                f"but {tier} in {province} here"
            )
    ref = resolve(v["url"])
    check_platform_allowed(challenge, ref.platform)
    handle = clean_handle(v["account"]) if v.get("account") else None
    return _EntryRow(row.line, name, ref, parse_pillar(v.get("pillar")), handle)


def _account_for(
    session: Session, library: Library, row: _EntryRow, result: ImportResult
) -> SocialAccount | None:
    handle = row.handle or row.ref.username
    if handle is None:
        return next((a for a in library.accounts if a.platform == row.ref.platform), None)
    account = queries.account_by_handle(session, row.ref.platform, handle)
    if account is None:
        account = SocialAccount(library=library, platform=row.ref.platform, handle=handle)
        session.add(account)
        session.flush()
        result.accounts_added += 1
    return account


def import_metrics(
    session: Session,
    challenge: Challenge,
    path: Path,
    *,
    resolve: UrlResolver,
    actor: str,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Manual counts for posts no API reaches (source ``manual``)."""
    _, rows = read_rows(path, METRIC_COLUMNS, {"url", "collected_at"})
    names = set(METRIC_COLUMNS.values())
    latest_allowed = (now or datetime.now(UTC)) + timedelta(minutes=5)
    known = queries.entry_keys(session, challenge.id)
    problems: list[RowProblem] = []
    result = ImportResult()
    seen: dict[tuple[int, datetime], int] = {}
    accepted: list[MetricSnapshot] = []
    for row in rows:
        if progress:
            progress(1)
        v = row.values
        try:
            if not v.get("url"):
                raise BadInput("url is empty")
            ref = resolve(v["url"])
            entry_id = known.get((ref.platform.value, ref.post_id))
            if entry_id is None:
                raise BadInput(f"{ref.canonical_url} is not an entry of {challenge.slug!r}")
            at = parse_local(v.get("collected_at", ""), challenge.timezone, field="collected_at")
            if at > latest_allowed:
                raise BadInput(f"collected_at {v['collected_at']!r} is in the future")
            counts = {c: parse_count(v.get(c, ""), c) for c in COUNTS if c in names}
            if all(value is None for value in counts.values()):
                raise BadInput("the row gives no count (views, likes, comments, ...)")
        except (BadInput, PostUrlError) as exc:
            problems.append(RowProblem(row.line, str(exc)))
            continue
        key = (entry_id, at)
        if key in seen:
            result.duplicates.append(
                Duplicate(row.line, ref.canonical_url, f"same post and time as line {seen[key]}")
            )
            continue
        seen[key] = row.line
        accepted.append(
            MetricSnapshot(
                entry_id=entry_id,
                collected_at=at,
                source=MetricSource.MANUAL,
                raw={"file": path.name, "line": row.line, "values": v},
                **counts,
            )
        )
    if problems:
        raise RowErrors(str(path), problems)
    existing = queries.snapshot_keys(session, {s.entry_id for s in accepted}, MetricSource.MANUAL)
    for snap in accepted:
        if (snap.entry_id, snap.collected_at) in existing:
            result.duplicates.append(
                Duplicate(
                    int((snap.raw or {}).get("line", 0)),
                    str((snap.raw or {}).get("values", {}).get("url", "")),
                    "already imported",
                )
            )
            continue
        session.add(snap)
        result.written += 1
    session.flush()
    audit.record(
        session,
        actor,
        "metrics.import",
        "challenge",
        challenge.id,
        file=path.name,
        snapshots=result.written,
        duplicates=len(result.duplicates),
    )
    return result
