import pytest

from services.common import thai

# (name, lat, lon, in Thailand?)
PLACES = [
    ("Bangkok", 13.7563, 100.5018, True),
    ("Chiang Mai", 18.7883, 98.9853, True),
    ("Mae Sai, northern tip", 20.43, 99.88, True),
    ("Betong, southern tip", 5.77, 101.07, True),
    ("Nong Khai on the Mekong", 17.87, 102.74, True),
    ("Aranyaprathet, Cambodian border", 13.69, 102.50, True),
    ("Ko Samui", 9.50, 100.00, True),
    ("Ko Tao", 10.09, 99.84, True),
    ("Ko Phi Phi", 7.74, 98.77, True),
    ("Ko Kut", 11.66, 102.55, True),
    ("Phuket", 7.88, 98.39, True),
    ("Ko Lipe", 6.49, 99.30, True),
    ("Vientiane, Laos", 17.97, 102.60, False),
    ("Tachileik, Myanmar", 20.448, 99.875, False),
    ("Poipet, Cambodia", 13.66, 102.56, False),
    ("Phnom Penh, Cambodia", 11.55, 104.92, False),
    ("Penang, Malaysia", 5.41, 100.33, False),
    ("Yangon, Myanmar", 16.84, 96.17, False),
    ("Gulf of Thailand, open sea", 10.0, 101.5, False),
    ("Andaman Sea", 8.5, 97.5, False),
    ("South China Sea", 7.5, 101.5, False),
    ("Null Island", 0.0, 0.0, False),
    ("Tokyo", 35.68, 139.69, False),
]


@pytest.mark.parametrize("name,lat,lon,expected", PLACES, ids=[p[0] for p in PLACES])
def test_in_thailand(name, lat, lon, expected):
    assert thai.in_thailand(lat, lon) is expected


def test_all_77_provinces_are_known():
    codes = thai.province_codes()
    assert len(codes) == 77
    assert thai.province_names("10") == {"code": "10", "name_th": "กรุงเทพมหานคร",
                                         "name_en": "Bangkok"}
    assert thai.province_names("50")["name_en"] == "Chiang Mai"


@pytest.mark.parametrize("code", ["99", "00", "1", "100", "", "1O", None, 10, "๑๐"])
def test_unknown_province_codes(code):
    assert thai.province(code) is None


@pytest.mark.parametrize("raw,expected", [
    ("081-234-5678", "0812345678"),
    ("0812345678", "0812345678"),
    ("+66 81 234 5678", "0812345678"),
    ("66812345678", "0812345678"),
    ("02-123-4567", "021234567"),
    ("053 123 456", "053123456"),
    ("+66 2 123 4567", "021234567"),
    ("1111", "1111"),
    ("02-123-4567 ต่อ 12", "021234567 ต่อ 12"),
    ("(02) 123-4567 ext. 5", "021234567 ต่อ 5"),
])
def test_phone_normalised(raw, expected):
    assert thai.normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12345", "0212345678", "081234567", "0112345678",
                                 "abc", "", "+1 415 555 0100", "08a2345678", None, 812345678])
def test_phone_rejected(raw):
    assert thai.normalise_phone(raw) is None
