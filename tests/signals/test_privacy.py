"""The privacy guard: what it must catch, and what it must leave alone."""

from __future__ import annotations

import pytest
from django.utils import translation

from signals.privacy import PersonalDataFound, bsn_valid, find_personal_data, guard


def kinds(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in find_personal_data(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Zijn BSN is 111222333.", [("bsn", "111222333")]),
        ("BSN 1112.22.333 staat op de brief", [("bsn", "1112.22.333")]),
        ("bsn: 123 456 782", [("bsn", "123 456 782")]),
        ("V-nummer 1234567890 is bekend bij de IND", [("v_number", "1234567890")]),
        ("v-nr: 12345 67890", [("v_number", "12345 67890")]),
        ("Bel haar op 06-12345678", [("phone", "06-12345678")]),
        ("Telefoon +31 6 1234 5678", [("phone", "+31 6 1234 5678")]),
        ("tel. 013 123 4567", [("phone", "013 123 4567")]),
        ("Mail naar fatima.y@example.org voor info", [("email", "fatima.y@example.org")]),
        ("Hij is geboren op 12-03-1985 in Aleppo", [("birth_date", "12-03-1985")]),
        ("geboortedatum: 3 maart 2015", [("birth_date", "3 maart 2015")]),
        ("date of birth 2001-07-09", [("birth_date", "2001-07-09")]),
        ("Mevrouw (14/02/1979) wacht al lang", [("birth_date", "14/02/1979")]),
        ("mijn dochter (12-03-2015) gaat niet naar school", [("birth_date", "12-03-2015")]),
        ("geboren 12-03-85", [("birth_date", "12-03-85")]),
        ("geb. 3 mrt. 1985", [("birth_date", "3 mrt. 1985")]),
        ("Bel 06.12.34.56.78", [("phone", "06.12.34.56.78")]),
        ("Bel 06–12345678", [("phone", "06–12345678")]),
        ("Tel 013/1234567", [("phone", "013/1234567")]),
        ("رقمي ٠٦١٢٣٤٥٦٧٨", [("phone", "٠٦١٢٣٤٥٦٧٨")]),
        ("Zijn broer: +963 944 123 456", [("phone", "+963 944 123 456")]),
        ("BSN 111-222-333", [("bsn", "111-222-333")]),
    ],
)
def test_finds_personal_data(text: str, expected: list[tuple[str, str]]) -> None:
    assert kinds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Gezinnen wachten 123456789 dagen",  # nine digits failing the eleven-test
        "Sinds 1 januari 2025 geldt de nieuwe Wet inburgering",  # a recent policy date
        "Artikel 2.3 van de Participatiewet, zaak 2024/1234",
        "Het kost 1.250 euro per maand; 35 gezinnen in 4 gemeenten",
        "Postcode 5038 AB, huisnummer 12",
        "In 1985 kwamen de eerste gezinnen",
        "Zie www.example.org/inburgering voor de regels",
        "De Wet inburgering van 1 januari 2007 gold tot 2022",
        "De pardonregeling van 15 juni 2007",
        "Op 01-02-2024 12 gezinnen gesproken",
        "Het budget is € 100.000.010 voor de regio",
        "In Borne en Tilburg",
    ],
)
def test_leaves_ordinary_text_alone(text: str) -> None:
    assert find_personal_data(text) == []


def test_a_mobile_number_is_a_phone_number_not_a_v_number() -> None:
    assert kinds("0612345678") == [("phone", "0612345678")]


def test_the_eleven_test() -> None:
    assert bsn_valid("111222333")
    assert bsn_valid("123456782")
    assert not bsn_valid("123456789")
    assert not bsn_valid("000000000")
    assert not bsn_valid("12345678")


def test_guard_passes_confirmed_findings_only() -> None:
    text = "Helpdesk 0800-1234567, mevrouw 06-12345678"
    helpline, mobile = find_personal_data(text)
    with translation.override("en"), pytest.raises(PersonalDataFound) as error:
        guard(text, confirmed={helpline.key})
    assert error.value.findings == [mobile]
    guard(text, confirmed={helpline.key, mobile.key})
    assert "phone number" in error.value.messages[0]
