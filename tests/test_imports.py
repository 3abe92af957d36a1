"""Registration and manual-metrics spreadsheets: encodings, delimiters, all or nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from services.app import App
from store.models import AuditLog, Entry, Library, MetricSnapshot, SocialAccount
from tests.conftest import Cli
from tests.test_cli_setup import CHALLENGE_ARGS

HEADER = "library,tier,province,url,account handle,pillar"
ROWS = [
    "Perpustakaan Kota Bandung,kabupaten_kota,Jawa Barat,"
    "https://www.instagram.com/reel/C9xYzAbCdEf/?igsh=abc,dispusip.bandung,promosi",
    "Perpustakaan Desa Sukamaju,desa_kelurahan,Jawa Barat,https://youtu.be/dQw4w9WgXcQ,,"
    "layanan_informasi",
    "Perpustakaan Kota Makassar,kabupaten_kota,Sulawesi Selatan,"
    "https://www.tiktok.com/@perpus.mks/video/7423178590451264810,,pelibatan masyarakat",
    "Perpustakaan Desa Waena,desa/kelurahan,Papua,https://www.facebook.com/reel/1375731680607892,,",
]


def write_csv(
    path: Path, lines: list[str], *, delimiter: str = ",", bom: bool = False, newline: str = "\n"
) -> Path:
    text = newline.join(line.replace(",", delimiter) for line in lines) + newline
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


@pytest.fixture
def challenge(cli: Cli) -> str:
    result = cli(*CHALLENGE_ARGS)
    assert result.exit_code == 0, result.output
    return "reels-2026"


@pytest.mark.parametrize(
    ("delimiter", "bom", "newline"),
    [(",", False, "\n"), (";", True, "\r\n"), (";", False, "\n"), (",", True, "\r\n")],
    ids=["comma", "semicolon-bom-crlf", "semicolon", "comma-bom-crlf"],
)
def test_import_entries_accepts_spreadsheet_exports(
    cli: Cli, app: App, challenge: str, tmp_path: Path, delimiter: str, bom: bool, newline: str
) -> None:
    path = write_csv(
        tmp_path / "daftar.csv", [HEADER, *ROWS], delimiter=delimiter, bom=bom, newline=newline
    )
    result = cli("import-entries", challenge, str(path))
    assert result.exit_code == 0, result.output
    assert "Wrote 4 entries" in result.output
    with app.transaction() as s:
        libs = {lib.name: lib for lib in s.scalars(select(Library))}
        assert set(libs) == {
            "Perpustakaan Kota Bandung",
            "Perpustakaan Desa Sukamaju",
            "Perpustakaan Kota Makassar",
            "Perpustakaan Desa Waena",
        }
        assert libs["Perpustakaan Desa Waena"].timezone == "Asia/Jayapura"
        assert libs["Perpustakaan Kota Makassar"].timezone == "Asia/Makassar"
        entries = {e.platform.value: e for e in s.scalars(select(Entry))}
        assert entries["instagram"].post_id == "C9xYzAbCdEf"
        assert entries["instagram"].media_id is None
        assert entries["instagram"].account is not None
        assert entries["instagram"].account.handle == "dispusip.bandung"
        assert entries["tiktok"].account is not None
        assert entries["tiktok"].account.handle == "perpus.mks"
        assert entries["tiktok"].pillar == "pelibatan_masyarakat"
        assert entries["facebook"].pillar is None
        assert (
            s.scalar(
                select(func.count())
                .select_from(AuditLog)
                .where(AuditLog.action == "entries.import")
            )
            == 1
        )


def test_import_entries_indonesian_headers(
    cli: Cli, app: App, challenge: str, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "form.csv",
        [
            "Nama Perpustakaan;Tingkat;Provinsi;Tautan Video;Akun;Pilar",
            "Perpustakaan Kota Bandung;Kabupaten/Kota;Jabar;"
            "youtube.com/watch?v=dQw4w9WgXcQ;;promosi",
        ],
    )
    result = cli("import-entries", challenge, str(path))
    assert result.exit_code == 0, result.output
    with app.transaction() as s:
        assert s.scalars(select(Entry)).one().canonical_url.endswith("v=dQw4w9WgXcQ")


def test_one_bad_row_writes_nothing_and_every_bad_row_is_reported(
    cli: Cli, app: App, challenge: str, tmp_path: Path
) -> None:
    lines = [
        HEADER,
        ROWS[0],
        "Perpustakaan X,nasional,Jawa Barat,https://youtu.be/aaaaaaaaaaa,,",  # line 3: tier
        ROWS[1],
        "Perpustakaan Y,desa,Jawa Barat,https://example.com/v/1,,",  # line 5: url
        '"Perpustakaan, dengan koma",desa,Atlantis,https://youtu.be/bbbbbbbbbbb,,',  # 6: province
        "Perpustakaan Z,desa,Bali,https://youtu.be/ccccccccccc,,olahraga",  # line 7: pillar
        "Perpustakaan Kota Bandung,desa,Jawa Barat,https://youtu.be/ddddddddddd,,",  # 8: tier clash
    ]
    path = write_csv(tmp_path / "bad.csv", lines)
    result = cli("import-entries", challenge, str(path))
    assert result.exit_code == 2
    err = result.stderr
    assert "5 bad row(s), nothing was written" in err
    assert "line 3: unknown tier 'nasional'" in err
    assert "line 5:" in err and "example.com" in err
    assert "line 6: unknown province 'Atlantis'" in err
    assert "line 7: unknown pillar 'olahraga'" in err
    assert "line 8: library 'Perpustakaan Kota Bandung' is kabupaten_kota" in err
    with app.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Entry)) == 0
        assert s.scalar(select(func.count()).select_from(Library)) == 0
        assert s.scalar(select(func.count()).select_from(SocialAccount)) == 0


def test_duplicates_are_reported_not_doubled(
    cli: Cli, app: App, challenge: str, tmp_path: Path
) -> None:
    lines = [
        HEADER,
        ROWS[1],
        "Perpustakaan Desa Sukamaju,desa_kelurahan,Jawa Barat,"
        "https://www.youtube.com/shorts/dQw4w9WgXcQ,,",  # same video, another form
    ]
    first = cli("import-entries", challenge, str(write_csv(tmp_path / "a.csv", lines)))
    assert first.exit_code == 0, first.output
    assert "Wrote 1 entries" in first.output
    assert "line 3" in first.stderr and "same post as line 2" in first.stderr
    second = cli("import-entries", challenge, str(write_csv(tmp_path / "b.csv", [HEADER, ROWS[1]])))
    assert second.exit_code == 0, second.output
    assert "Wrote 0 entries" in second.output
    assert "already entry #" in second.stderr
    with app.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Entry)) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"library,province,url\nX,Bali,https://youtu.be/dQw4w9WgXcQ\n", "missing column(s) tier"),
        (b"", "the file is empty"),
        ("library,tier,province,url\nPerpustakaan Caf\xe9".encode("latin-1"), "not UTF-8"),
    ],
)
def test_unusable_files(
    cli: Cli, challenge: str, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    result = cli("import-entries", challenge, str(path))
    assert result.exit_code == 2
    assert message in result.stderr


def test_missing_file(cli: Cli, challenge: str, tmp_path: Path) -> None:
    result = cli("import-entries", challenge, str(tmp_path / "nope.csv"))
    assert result.exit_code == 2
    assert "nope.csv" in result.stderr


def _register(cli: Cli, challenge: str, tmp_path: Path) -> None:
    result = cli("import-entries", challenge, str(write_csv(tmp_path / "e.csv", [HEADER, *ROWS])))
    assert result.exit_code == 0, result.output


def test_import_metrics_and_list_entries_as_json(
    cli: Cli, app: App, challenge: str, tmp_path: Path
) -> None:
    _register(cli, challenge, tmp_path)
    metrics = write_csv(
        tmp_path / "m.csv",
        [
            "url;collected_at;views;likes;comments;shares;saves;reach",
            "https://youtu.be/dQw4w9WgXcQ;2026-11-10 09:00;1.234;56;7;;;",
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ;2026-11-12T09:00+07:00;2.500;80;9;;;",
            "https://www.facebook.com/watch/?v=1375731680607892;2026-11-11T02:00Z;900;40;3;2;;",
        ],
        delimiter=";",
    )
    result = cli("import-metrics", challenge, str(metrics))
    assert result.exit_code == 0, result.output
    assert "Wrote 3 snapshots" in result.output
    out = cli("entries", challenge, "--format", "json")
    assert out.exit_code == 0, out.output
    rows = {r["platform"]: r for r in json.loads(out.stdout)}
    assert set(rows) == {"instagram", "youtube", "tiktok", "facebook"}
    yt = rows["youtube"]
    assert yt["url"] == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert yt["library"] == "Perpustakaan Desa Sukamaju"
    assert (yt["views"], yt["likes"], yt["comments"]) == (2500, 80, 9)
    assert yt["shares"] is None and yt["saves"] is None and yt["reach"] is None
    assert yt["collected_at"] == "2026-11-12T02:00:00Z"
    assert yt["status"] == "active"
    assert rows["facebook"]["shares"] == 2
    ig = rows["instagram"]
    assert ig["views"] is None and ig["collected_at"] is None
    # As of an earlier time, the earlier snapshot is the latest.
    early = cli("entries", challenge, "--format", "json", "--as-of", "2026-11-11T00:00")
    early_rows = {r["platform"]: r for r in json.loads(early.stdout)}
    assert early_rows["youtube"]["views"] == 1234
    assert early_rows["facebook"]["views"] is None
    # CSV and table formats carry the same entries.
    as_csv = cli("entries", challenge, "--format", "csv")
    assert as_csv.stdout.splitlines()[0].startswith("url,platform,library")
    assert len(as_csv.stdout.strip().splitlines()) == 5
    from reelboard.cli.common import console

    console.width = 250
    table = cli("entries", challenge)
    assert "2026-11-12 09:00 WIB" in table.stdout  # shown in the library's own zone
    assert "2026-11-11 11:00 WIT" in table.stdout


def test_import_metrics_is_idempotent_and_all_or_nothing(
    cli: Cli, app: App, challenge: str, tmp_path: Path
) -> None:
    _register(cli, challenge, tmp_path)
    good = write_csv(
        tmp_path / "m.csv",
        ["url,collected_at,views,likes", "https://youtu.be/dQw4w9WgXcQ,2026-11-10T09:00,100,5"],
    )
    assert cli("import-metrics", challenge, str(good)).exit_code == 0
    again = cli("import-metrics", challenge, str(good))
    assert again.exit_code == 0
    assert "Wrote 0 snapshots" in again.output and "already imported" in again.stderr
    bad = write_csv(
        tmp_path / "bad.csv",
        [
            "url,collected_at,views,likes",
            "https://youtu.be/dQw4w9WgXcQ,2026-11-11T09:00,200,6",
            "https://youtu.be/zzzzzzzzzzz,2026-11-11T09:00,1,1",
            "https://youtu.be/dQw4w9WgXcQ,2026-11-13T09:00,-5,1",
            "https://youtu.be/dQw4w9WgXcQ,2026-11-14T09:00,12k,1",
            "https://youtu.be/dQw4w9WgXcQ,besok,1,1",
            "https://youtu.be/dQw4w9WgXcQ,2099-01-01T00:00,1,1",
            "https://youtu.be/dQw4w9WgXcQ,2026-11-15T09:00,,",
        ],
    )
    result = cli("import-metrics", challenge, str(bad))
    assert result.exit_code == 2
    err = result.stderr
    assert "line 3: https://www.youtube.com/watch?v=zzzzzzzzzzz is not an entry" in err
    assert "line 4: views '-5' is negative" in err
    assert "line 5: views '12k' is not a whole number" in err
    assert "line 6: collected_at: 'besok' is not a time" in err
    assert "line 7: collected_at '2099-01-01T00:00' is in the future" in err
    assert "line 8: the row gives no count" in err
    with app.transaction() as s:
        assert s.scalar(select(func.count()).select_from(MetricSnapshot)) == 1
