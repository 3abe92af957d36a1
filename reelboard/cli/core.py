"""Set-up commands: init, library, account, user, challenge, entry."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from reelboard.cli.common import Format, console, emit, get_app, new_typer, read_secret
from services import registry
from services.audit import cli_actor
from services.errors import BadInput
from services.rubrics import read_rubric_file
from services.timeparse import parse_local, show_local
from store import queries
from store.crypto import write_key_file
from store.migrate import upgrade

library_app = new_typer("Libraries taking part (perpustakaan).")
account_app = new_typer("A library's social-media accounts.")
user_app = new_typer("People who sign in to the dashboard.")
challenge_app = new_typer("Contests: period, hashtags, platforms, rubric.")
entry_app = new_typer("Contest entries, one post each.")


def init() -> None:
    """Create the database, or upgrade it to the newest schema."""
    app = get_app()
    settings = app.settings
    if settings.secret_key is None:
        key_file = settings.key_file()
        if not key_file.exists():
            write_key_file(key_file)
            console.print(
                f"Created the token-encryption key file {key_file.resolve()}", soft_wrap=True
            )
            console.print(
                "(owner-only permissions). Back it up: without it, stored platform tokens cannot "
                "be read. Or set REELBOARD_SECRET_KEY instead."
            )
    upgrade(settings.database_url)
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    console.print(f"Database ready: {shown}")


@library_app.command("add")
def library_add(
    name: Annotated[str, typer.Argument(help="The library's name.")],
    tier: Annotated[str, typer.Option(help="provinsi, kabupaten_kota or desa_kelurahan.")],
    province: Annotated[str, typer.Option(help="Province, e.g. 'Jawa Barat'.")],
    timezone: Annotated[
        str | None, typer.Option(help="WIB/WITA/WIT or Asia/...; default: the province's.")
    ] = None,
    regency: Annotated[str | None, typer.Option(help="Regency or city (kabupaten/kota).")] = None,
) -> None:
    """Add a library."""
    with get_app().transaction() as session:
        lib = registry.add_library(
            session,
            name=name,
            tier=tier,
            province=province,
            timezone=timezone,
            regency_city=regency,
            actor=cli_actor(),
        )
        console.print(f"Library #{lib.id} {lib.name} ({lib.tier}, {lib.province}, {lib.timezone})")


@account_app.command("add")
def account_add(
    library: Annotated[str, typer.Option(help="The library's name.")],
    platform: Annotated[str, typer.Option(help="instagram, facebook, tiktok or youtube.")],
    handle: Annotated[str, typer.Option(help="The account's handle (@name).")],
    external_id: Annotated[
        str | None, typer.Option(help="The platform's user/page/channel id.")
    ] = None,
    token_expires: Annotated[
        str | None, typer.Option(help="When the token expires (ISO time, library's zone).")
    ] = None,
) -> None:
    """Add an account. Its access token, if any, is read from standard input."""
    app = get_app()
    token = read_secret("Access token (empty for none)")
    with app.transaction() as session:
        lib = registry.require_library(session, library)
        expires = (
            parse_local(token_expires, lib.timezone, field="--token-expires")
            if token_expires
            else None
        )
        account = registry.add_account(
            session,
            library=lib,
            platform=platform,
            handle=handle,
            external_id=external_id,
            token=token,
            token_expires_at=expires,
            box=lambda: app.token_box,
            actor=cli_actor(),
        )
        stored = "token stored encrypted" if token else "no token (public counts only)"
        console.print(f"Account #{account.id} {account.platform} @{account.handle}: {stored}")


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Sign-in name.")],
    role: Annotated[str, typer.Option(help="admin, committee, judge, library or viewer.")],
    library: Annotated[str | None, typer.Option(help="For library users: their library.")] = None,
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
) -> None:
    """Add a user. The password is read from standard input (or asked for twice)."""
    password = read_secret("Password", confirm=True)
    if not password:
        raise BadInput("no password given on standard input")
    with get_app().transaction() as session:
        user = registry.add_user(
            session,
            username=username,
            password=password,
            role=role,
            library_name=library,
            display_name=name,
            actor=cli_actor(),
        )
        console.print(f"User #{user.id} {user.username} ({user.role})")


@challenge_app.command("add")
def challenge_add(
    slug: Annotated[str, typer.Argument(help="Short name used in commands and links.")],
    title: Annotated[str, typer.Option(help="The challenge's title.")],
    open_: Annotated[str, typer.Option("--open", help="Opening time (ISO; date = 00:00).")],
    close: Annotated[str, typer.Option(help="Closing time (ISO; date = 23:59:59).")],
    timezone: Annotated[str, typer.Option(help="Zone of the times: WIB, WITA or WIT.")] = "WIB",
    hashtag: Annotated[
        list[str] | None, typer.Option(help="Challenge hashtag; repeat for several.")
    ] = None,
    platform: Annotated[
        list[str] | None, typer.Option(help="Allowed platform; repeat; default all four.")
    ] = None,
    rubric: Annotated[
        Path | None, typer.Option(help="Rubric TOML file; default: the shipped rubric.")
    ] = None,
) -> None:
    """Define a challenge (status draft)."""
    from services.geo import normalise_timezone

    tz = normalise_timezone(timezone)
    opens_at = parse_local(open_, tz, field="--open")
    closes_at = parse_local(close, tz, field="--close", end_of_day=True)
    document = read_rubric_file(rubric)
    with get_app().transaction() as session:
        challenge = registry.add_challenge(
            session,
            slug=slug,
            title=title,
            opens_at=opens_at,
            closes_at=closes_at,
            timezone=tz,
            hashtags=hashtag or [],
            platforms=platform or [],
            rubric=document,
            actor=cli_actor(),
        )
        console.print(
            f"Challenge {challenge.slug}: {show_local(challenge.opens_at, tz)} to "
            f"{show_local(challenge.closes_at, tz)}, platforms {', '.join(challenge.platforms)}"
        )


@challenge_app.command("open")
def challenge_open(slug: Annotated[str, typer.Argument(help="The challenge.")]) -> None:
    """Open a drafted challenge: its entries are collected from now on."""
    with get_app().transaction() as session:
        challenge = registry.open_challenge(
            session, registry.require_challenge(session, slug), cli_actor()
        )
        console.print(f"{challenge.slug} is open.")


@challenge_app.command("list")
def challenge_list(
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """Every challenge with its period, status and number of entries."""
    with get_app().transaction() as session:
        counts = queries.entry_counts(session)
        rows = [
            {
                "slug": c.slug,
                "title": c.title,
                "status": c.status.value,
                "opens": show_local(c.opens_at, c.timezone),
                "closes": show_local(c.closes_at, c.timezone),
                "entries": counts.get(c.id, 0),
            }
            for c in queries.challenges(session)
        ]
    emit(rows, format, ["slug", "title", "status", "opens", "closes", "entries"], "Challenges")


@challenge_app.command("rubric")
def challenge_rubric(
    slug: Annotated[str, typer.Argument(help="The challenge.")],
    rubric: Annotated[Path, typer.Argument(help="The new rubric TOML file.")],
) -> None:
    """Give a challenge a new rubric version (older boards keep theirs)."""
    document = read_rubric_file(rubric)
    with get_app().transaction() as session:
        challenge = registry.require_challenge(session, slug)
        version = registry.set_rubric(session, challenge, document, cli_actor())
        console.print(f"{challenge.slug}: rubric version {version.version}")


@entry_app.command("add")
def entry_add(
    slug: Annotated[str, typer.Argument(help="The challenge.")],
    url: Annotated[str, typer.Argument(help="The post's public URL.")],
    library: Annotated[str, typer.Option(help="The library's name.")],
    pillar: Annotated[
        str | None,
        typer.Option(
            help="layanan_informasi, pelibatan_masyarakat, advokasi_kemitraan or promosi."
        ),
    ] = None,
    account: Annotated[str | None, typer.Option(help="The posting account's handle.")] = None,
) -> None:
    """Register one post as an entry."""
    app = get_app()
    resolve = registry.UrlResolver(app.settings.shortlink_resolver_base)
    ref = resolve(url)
    parsed_pillar = registry.parse_pillar(pillar)
    with app.transaction() as session:
        challenge = registry.require_challenge(session, slug)
        lib = registry.require_library(session, library)
        entry = registry.add_entry(
            session,
            challenge=challenge,
            library=lib,
            ref=ref,
            pillar=parsed_pillar,
            account_handle=account,
            actor=cli_actor(),
        )
        console.print(f"Entry #{entry.id}: {entry.canonical_url} ({lib.name})")
        if entry.account is None and entry.platform == "instagram":
            console.print(
                "[yellow]No Instagram account is known for this entry: add one with "
                "`reelboard account add` or --account, or it cannot be collected.[/]"
            )
