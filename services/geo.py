"""Indonesia's provinces and time zones."""

from __future__ import annotations

from services.errors import BadInput

WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"

PROVINCE_TIMEZONE: dict[str, str] = {
    **dict.fromkeys(
        [
            "Aceh",
            "Sumatera Utara",
            "Sumatera Barat",
            "Riau",
            "Kepulauan Riau",
            "Jambi",
            "Bengkulu",
            "Sumatera Selatan",
            "Kepulauan Bangka Belitung",
            "Lampung",
            "Banten",
            "DKI Jakarta",
            "Jawa Barat",
            "Jawa Tengah",
            "DI Yogyakarta",
            "Jawa Timur",
            "Kalimantan Barat",
            "Kalimantan Tengah",
        ],
        WIB,
    ),
    **dict.fromkeys(
        [
            "Bali",
            "Nusa Tenggara Barat",
            "Nusa Tenggara Timur",
            "Kalimantan Selatan",
            "Kalimantan Timur",
            "Kalimantan Utara",
            "Sulawesi Utara",
            "Gorontalo",
            "Sulawesi Tengah",
            "Sulawesi Barat",
            "Sulawesi Selatan",
            "Sulawesi Tenggara",
        ],
        WITA,
    ),
    **dict.fromkeys(
        [
            "Maluku",
            "Maluku Utara",
            "Papua",
            "Papua Barat",
            "Papua Barat Daya",
            "Papua Tengah",
            "Papua Pegunungan",
            "Papua Selatan",
        ],
        WIT,
    ),
}

_ALIASES = {
    "jakarta": "DKI Jakarta",
    "dki": "DKI Jakarta",
    "yogyakarta": "DI Yogyakarta",
    "diy": "DI Yogyakarta",
    "daerah istimewa yogyakarta": "DI Yogyakarta",
    "bangka belitung": "Kepulauan Bangka Belitung",
    "babel": "Kepulauan Bangka Belitung",
    "kepri": "Kepulauan Riau",
    "ntb": "Nusa Tenggara Barat",
    "ntt": "Nusa Tenggara Timur",
    "sumut": "Sumatera Utara",
    "sumbar": "Sumatera Barat",
    "sumsel": "Sumatera Selatan",
    "jabar": "Jawa Barat",
    "jateng": "Jawa Tengah",
    "jatim": "Jawa Timur",
    "kalbar": "Kalimantan Barat",
    "kalteng": "Kalimantan Tengah",
    "kalsel": "Kalimantan Selatan",
    "kaltim": "Kalimantan Timur",
    "kaltara": "Kalimantan Utara",
    "sulut": "Sulawesi Utara",
    "sulteng": "Sulawesi Tengah",
    "sulbar": "Sulawesi Barat",
    "sulsel": "Sulawesi Selatan",
    "sultra": "Sulawesi Tenggara",
    "malut": "Maluku Utara",
    "aceh darussalam": "Aceh",
    "nanggroe aceh darussalam": "Aceh",
}
_BY_KEY = {name.lower(): name for name in PROVINCE_TIMEZONE}

TIMEZONE_ALIASES = {"wib": WIB, "wita": WITA, "wit": WIT}
TIMEZONE_LABEL = {WIB: "WIB", WITA: "WITA", WIT: "WIT"}


def normalise_province(raw: str) -> str:
    key = " ".join(raw.replace("Prov.", "").replace("Provinsi", "").split()).lower()
    name = _BY_KEY.get(key) or _ALIASES.get(key)
    if name is None:
        raise BadInput(
            f"unknown province {raw.strip()!r}: expected one of Indonesia's 38 provinces, "
            "e.g. 'Jawa Barat', 'Sulawesi Selatan', 'Papua'"
        )
    return name


def normalise_timezone(raw: str) -> str:
    text = raw.strip()
    tz = TIMEZONE_ALIASES.get(text.lower(), text)
    if tz not in TIMEZONE_LABEL:
        raise BadInput(
            f"unknown time zone {raw!r}: expected WIB (Asia/Jakarta), WITA (Asia/Makassar) "
            "or WIT (Asia/Jayapura)"
        )
    return tz


def timezone_for(province: str, given: str | None) -> str:
    """The library's time zone: the one given (checked against its province) or its province's."""
    expected = PROVINCE_TIMEZONE[province]
    if not given:
        return expected
    tz = normalise_timezone(given)
    if tz != expected:
        raise BadInput(
            f"{province} is in {TIMEZONE_LABEL[expected]} ({expected}), "
            f"not {TIMEZONE_LABEL[tz]} ({tz})"
        )
    return tz
