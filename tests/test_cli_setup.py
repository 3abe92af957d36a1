"""The set-up commands: init, library, account, user, challenge, entry."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from reelboard.cli.common import set_app
from services.app import App
from services.auth import verify_password
from store.models import AuditLog, Challenge, Entry, Library, RubricVersion, SocialAccount, User
from tests.conftest import Cli

CHALLENGE_ARGS = [
    "challenge",
    "add",
    "reels-2026",
    "--title",
    "Reels Literasi 2026",
    "--open",
    "2026-11-01",
    "--close",
    "2026-11-30",
    "--timezone",
    "WIB",
    "--hashtag",
    "#LiterasiBerdaya",
]


def add_library(cli: Cli, name: str = "Perpustakaan Kota Bandung", **opts: str) -> None:
    args = ["library", "add", name, "--tier", opts.get("tier", "kabupaten_kota")]
    args += ["--province", opts.get("province", "Jawa Barat")]
    if "timezone" in opts:
        args += ["--timezone", opts["timezone"]]
    result = cli(*args)
    assert result.exit_code == 0, result.output


def test_library_add_derives_time_zone_and_audits(cli: Cli, app: App) -> None:
    add_library(cli, "Perpustakaan Desa Sukamaju", tier="desa/kelurahan", province="jabar")
    add_library(cli, "Perpustakaan Kota Makassar", province="Sulawesi Selatan", timezone="WITA")
    with app.transaction() as s:
        libs = {lib.name: lib for lib in s.scalars(select(Library))}
        assert libs["Perpustakaan Desa Sukamaju"].tier == "desa_kelurahan"
        assert libs["Perpustakaan Desa Sukamaju"].province == "Jawa Barat"
        assert libs["Perpustakaan Desa Sukamaju"].timezone == "Asia/Jakarta"
        assert libs["Perpustakaan Kota Makassar"].timezone == "Asia/Makassar"
        actions = [a.action for a in s.scalars(select(AuditLog))]
        assert actions.count("library.add") == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tier", "nasional", "--province", "Bali"], "unknown tier 'nasional'"),
        (["--tier", "desa", "--province", "Atlantis"], "unknown province 'Atlantis'"),
        (
            ["--tier", "desa", "--province", "Papua", "--timezone", "WIB"],
            "Papua is in WIT (Asia/Jayapura), not WIB",
        ),
        (["--tier", "desa", "--province", "Bali", "--timezone", "UTC"], "unknown time zone"),
    ],
)
def test_library_add_bad_input_exits_2(cli: Cli, app: App, args: list[str], message: str) -> None:
    result = cli("library", "add", "Perpustakaan X", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    with app.transaction() as s:
        assert s.scalars(select(Library)).all() == []


def test_library_add_duplicate_name_ignores_case(cli: Cli) -> None:
    add_library(cli)
    result = cli(
        "library", "add", "perpustakaan kota BANDUNG", "--tier", "kota", "--province", "Jawa Barat"
    )
    assert result.exit_code == 2
    assert "already exists" in result.stderr


def test_account_token_is_read_from_stdin_and_encrypted_at_rest(cli: Cli, app: App) -> None:
    add_library(cli)
    token = "EAAG-secret-token-1234567890"
    result = cli(
        "account",
        "add",
        "--library",
        "Perpustakaan Kota Bandung",
        "--platform",
        "instagram",
        "--handle",
        "@dispusip.bandung",
        "--external-id",
        "17841400000000001",
        input=token + "\n",
    )
    assert result.exit_code == 0, result.output
    assert token not in result.output
    with app.engine.connect() as conn:
        raw = conn.execute(text("SELECT * FROM social_account")).mappings().one()
        every_cell = " ".join(str(v) for v in raw.values())
        assert token not in every_cell
        assert token.encode() not in bytes(raw["token_encrypted"])
        audit_cells = " ".join(str(r) for r in conn.execute(text("SELECT * FROM audit_log")))
        assert token not in audit_cells
    with app.transaction() as s:
        account = s.scalars(select(SocialAccount)).one()
        assert account.handle == "dispusip.bandung"
        assert account.token_encrypted is not None
        assert app.token_box.open(account.token_encrypted) == token


def test_account_without_token_is_fine(cli: Cli, app: App) -> None:
    add_library(cli)
    result = cli(
        "account",
        "add",
        "--library",
        "Perpustakaan Kota Bandung",
        "--platform",
        "youtube",
        "--handle",
        "perpuskotabdg",
        input="",
    )
    assert result.exit_code == 0, result.output
    assert "no token" in result.output
    with app.transaction() as s:
        assert s.scalars(select(SocialAccount)).one().token_encrypted is None


def test_account_add_bad_input(cli: Cli) -> None:
    result = cli(
        "account",
        "add",
        "--library",
        "Nowhere",
        "--platform",
        "instagram",
        "--handle",
        "x",
        input="",
    )
    assert result.exit_code == 2
    assert "no library named 'Nowhere'" in result.stderr
    add_library(cli)
    result = cli(
        "account",
        "add",
        "--library",
        "Perpustakaan Kota Bandung",
        "--platform",
        "myspace",
        "--handle",
        "x",
        input="",
    )
    assert result.exit_code == 2
    assert "unknown platform 'myspace'" in result.stderr


def test_user_add_hashes_password_with_argon2(cli: Cli, app: App) -> None:
    add_library(cli)
    result = cli(
        "user",
        "add",
        "siti",
        "--role",
        "library",
        "--library",
        "Perpustakaan Kota Bandung",
        input="rahasia-panjang\n",
    )
    assert result.exit_code == 0, result.output
    with app.transaction() as s:
        user = s.scalars(select(User)).one()
        assert user.password_hash.startswith("$argon2id$")
        assert verify_password(user.password_hash, "rahasia-panjang")
        assert not verify_password(user.password_hash, "salah")
        assert user.library is not None and user.library.name == "Perpustakaan Kota Bandung"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["budi", "--role", "library"], "rahasia-panjang\n", "needs --library"),
        (["budi", "--role", "juri"], "rahasia-panjang\n", "unknown role 'juri'"),
        (["budi", "--role", "judge"], "pendek\n", "shorter than 8"),
        (["budi", "--role", "judge"], "", "no password"),
    ],
)
def test_user_add_bad_input(cli: Cli, args: list[str], stdin: str, message: str) -> None:
    result = cli("user", "add", *args, input=stdin)
    assert result.exit_code == 2
    assert message in result.stderr


def test_challenge_add_stores_utc_times_and_rubric_version(cli: Cli, app: App) -> None:
    result = cli(*CHALLENGE_ARGS)
    assert result.exit_code == 0, result.output
    with app.transaction() as s:
        ch = s.scalars(select(Challenge)).one()
        # 2026-11-01 00:00 WIB is 2026-10-31 17:00 UTC; the close date means its last second.
        assert ch.opens_at == datetime(2026, 10, 31, 17, 0, tzinfo=UTC)
        assert ch.closes_at == datetime(2026, 11, 30, 16, 59, 59, tzinfo=UTC)
        assert ch.hashtags == ["LiterasiBerdaya"]
        assert ch.platforms == ["facebook", "instagram", "tiktok", "youtube"]
        assert ch.status == "draft"
        versions = s.scalars(select(RubricVersion)).all()
        assert [v.version for v in versions] == [1]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"--close": "2026-10-01"}, "--close must be after --open"),
        ({"--open": "kemarin"}, "--open: 'kemarin' is not a time"),
        ({"--timezone": "PST"}, "unknown time zone 'PST'"),
        ({"--hashtag": "#no spaces"}, "hashtag '#no spaces'"),
    ],
)
def test_challenge_add_bad_input(cli: Cli, app: App, change: dict[str, str], message: str) -> None:
    args = list(CHALLENGE_ARGS)
    for flag, value in change.items():
        args[args.index(flag) + 1] = value
    result = cli(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    with app.transaction() as s:
        assert s.scalars(select(Challenge)).all() == []


def test_challenge_add_rejects_a_bad_rubric_file(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "rubric.toml"
    bad.write_text("[criteria\nweight = ")
    result = cli(*CHALLENGE_ARGS, "--rubric", str(bad))
    assert result.exit_code == 2
    assert "rubric" in result.stderr
    missing = cli(*CHALLENGE_ARGS, "--rubric", str(tmp_path / "nope.toml"))
    assert missing.exit_code == 2
    assert "nope.toml" in missing.stderr


def test_entry_add_canonicalises_and_refuses_the_same_post_twice(cli: Cli, app: App) -> None:
    add_library(cli)
    assert cli(*CHALLENGE_ARGS).exit_code == 0
    first = cli(
        "entry",
        "add",
        "reels-2026",
        "https://m.youtube.com/shorts/dQw4w9WgXcQ?feature=share",
        "--library",
        "Perpustakaan Kota Bandung",
        "--pillar",
        "promosi",
    )
    assert first.exit_code == 0, first.output
    again = cli(
        "entry",
        "add",
        "reels-2026",
        "https://youtu.be/dQw4w9WgXcQ?si=abc",
        "--library",
        "Perpustakaan Kota Bandung",
    )
    assert again.exit_code == 2
    assert "already entry #" in again.stderr
    with app.transaction() as s:
        entry = s.scalars(select(Entry)).one()
        assert entry.canonical_url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
        assert entry.platform == "youtube"
        assert entry.media_id == "dQw4w9WgXcQ"
        assert entry.pillar == "promosi"


def test_entry_add_takes_the_account_from_a_tiktok_url(cli: Cli, app: App) -> None:
    add_library(cli)
    assert cli(*CHALLENGE_ARGS).exit_code == 0
    result = cli(
        "entry",
        "add",
        "reels-2026",
        "https://www.tiktok.com/@Perpus.Bandung/video/7423178590451264810?lang=id",
        "--library",
        "Perpustakaan Kota Bandung",
    )
    assert result.exit_code == 0, result.output
    with app.transaction() as s:
        entry = s.scalars(select(Entry)).one()
        assert entry.account is not None
        assert entry.account.handle == "perpus.bandung"
        assert entry.canonical_url == (
            "https://www.tiktok.com/@perpus.bandung/video/7423178590451264810"
        )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://www.instagram.com/perpus.bandung/", "looks like a profile"),
        ("https://example.com/video/1", "host 'example.com' is not"),
        ("ftp://youtube.com/watch?v=dQw4w9WgXcQ", "scheme 'ftp'"),
        ("https://www.youtube.com/watch?v=short", "not an 11-character YouTube video id"),
    ],
)
def test_entry_add_bad_url(cli: Cli, app: App, url: str, message: str) -> None:
    add_library(cli)
    assert cli(*CHALLENGE_ARGS).exit_code == 0
    result = cli("entry", "add", "reels-2026", url, "--library", "Perpustakaan Kota Bandung")
    assert result.exit_code == 2
    assert message in result.stderr
    assert url in result.stderr


def test_entry_add_refuses_a_platform_the_challenge_does_not_take(cli: Cli) -> None:
    add_library(cli)
    args = [*CHALLENGE_ARGS, "--platform", "instagram"]
    assert cli(*args).exit_code == 0
    result = cli(
        "entry",
        "add",
        "reels-2026",
        "https://youtu.be/dQw4w9WgXcQ",
        "--library",
        "Perpustakaan Kota Bandung",
    )
    assert result.exit_code == 2
    assert "takes instagram posts, not youtube" in result.stderr


def test_unknown_challenge_and_library(cli: Cli) -> None:
    result = cli("entry", "add", "nope", "https://youtu.be/dQw4w9WgXcQ", "--library", "X")
    assert result.exit_code == 2
    assert "no challenge with slug 'nope'" in result.stderr
    assert cli("entries", "nope").exit_code == 2


def test_init_creates_a_private_key_file_beside_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from reelboard.cli import app as cli_app

    db = tmp_path / "data" / "reelboard.db"
    db.parent.mkdir()
    monkeypatch.setenv("REELBOARD_DATABASE_URL", f"sqlite:///{db}")
    set_app(None)
    try:
        result = CliRunner().invoke(cli_app, ["init"])
        assert result.exit_code == 0, result.output
        key_file = db.parent / "reelboard.key"
        assert key_file.exists()
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert "reelboard.key" in result.output
        key = key_file.read_text()
        # A second init keeps the key and upgrades nothing.
        set_app(None)
        again = CliRunner().invoke(cli_app, ["init"])
        assert again.exit_code == 0, again.output
        assert key_file.read_text() == key
        assert "Created" not in again.output
    finally:
        set_app(None)


@pytest.mark.slow
def test_console_script_exit_codes(tmp_path: Path) -> None:
    """The installed `reelboard` command: 0 on success, 2 on bad input, 1 when not set up."""
    exe = Path(sys.executable).parent / "reelboard"
    env = {**os.environ, "REELBOARD_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    env.pop("REELBOARD_SECRET_KEY", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(exe), *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
        )

    not_set_up = run("entries", "x", "--format", "json")
    assert not_set_up.returncode == 1
    assert "reelboard init" in not_set_up.stderr
    assert run("init").returncode == 0
    bad = run("library", "add", "X", "--tier", "nasional", "--province", "Bali")
    assert bad.returncode == 2
    assert "unknown tier 'nasional'" in bad.stderr
    ok = run("library", "add", "X", "--tier", "desa", "--province", "Bali")
    assert ok.returncode == 0, ok.stderr
    assert run("entries", "nope", "--format", "json").returncode == 2


def test_challenge_open_and_list(cli: Cli, app: App) -> None:
    assert cli(*CHALLENGE_ARGS).exit_code == 0
    listed = cli("challenge", "list", "--format", "json")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert [(r["slug"], r["status"], r["entries"]) for r in rows] == [("reels-2026", "draft", 0)]
    assert rows[0]["opens"] == "2026-11-01 00:00 WIB"
    assert cli("challenge", "open", "reels-2026").exit_code == 0
    again = cli("challenge", "open", "reels-2026")
    assert again.exit_code == 2
    assert "is open, not draft" in again.stderr
    with app.transaction() as s:
        assert s.scalars(select(Challenge)).one().status == "open"
