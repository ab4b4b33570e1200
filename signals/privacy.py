"""The privacy guard: personal data that does not belong in a signal or message.

Finds citizen service numbers (BSN, with the eleven-test), alien numbers
(V-nummer), Dutch phone numbers, email addresses and dates of birth. Nothing
is published while a finding stands, unless the writer changes the text or
confirms that the finding is not personal data (a public helpline, say): the
confirmation names the finding's ``key``, so confirming one thing never waves
through another.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

KIND_LABELS = {
    "bsn": gettext_lazy("citizen service number (BSN)"),
    "v_number": gettext_lazy("alien number (V-nummer)"),
    "phone": gettext_lazy("phone number"),
    "email": gettext_lazy("email address"),
    "birth_date": gettext_lazy("date of birth"),
}


@dataclass(frozen=True)
class Finding:
    kind: str
    text: str
    start: int
    end: int

    @property
    def key(self) -> str:
        """Stable for the same kind and text, whatever else the writer changes."""
        return hashlib.sha256(f"{self.kind}:{self.text}".encode()).hexdigest()[:16]

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self.kind])

    def as_dict(self) -> dict[str, str | int]:
        """What the API and the socket send, so the writer can confirm it by ``key``."""
        return {"key": self.key, "kind": self.kind, "label": self.label, "text": self.text,
                "start": self.start, "end": self.end}  # fmt: skip


class PersonalDataFound(ValidationError):
    """Raised by the domain functions while unconfirmed findings stand."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        super().__init__(
            _("This text seems to contain personal data: %(found)s. Remove it, or confirm it is not personal data.")
            % {"found": ", ".join(f"{f.label} “{f.text}”" for f in findings)},
            code="personal_data",
        )


def bsn_valid(digits: str) -> bool:
    """The eleven-test: 9·d1 + 8·d2 + … + 2·d8 − 1·d9 is a multiple of 11 (and not all zeros)."""
    if len(digits) != 9 or not digits.isdigit() or set(digits) == {"0"}:
        return False
    total = sum(int(d) * weight for d, weight in zip(digits[:8], range(9, 1, -1), strict=True)) - int(digits[8])
    return total % 11 == 0


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_SEP = r"[\s\-–./()]*"  # people separate digits with spaces, dashes (phones autocorrect to –), dots, slashes
# +31 6 1234 5678, 0031 13 1234567, 06-12345678, 06.12.34.56.78, 013/1234567, (013) 123 45 67: nine digits
# after the 0; the 0800/0900 service numbers with four or seven digits after the prefix; and numbers abroad.
_PHONE = re.compile(
    rf"(?<![\d+])(?:0[89]0[069][\s-]?\d{{4}}(?:\d{{3}})?|(?:\+31|0031|0){_SEP}\d(?:{_SEP}\d){{8}}"
    rf"|(?:\+|00)(?!31)[1-9]\d{{0,2}}(?:[\s-]?\d){{6,12}})(?!\d)"
)
# A V-nummer has ten digits, often written with "V-nummer" or "v-nr" before it.
_V_NUMBER = re.compile(
    r"(?:\bv[\s.-]*(?:nummer|nr)\.?[\s:]*)(\d(?:[\s.]?\d){9})(?!\d)|(?<![\d+])([1-9]\d{9})(?!\d)", re.IGNORECASE
)
_BSN = re.compile(r"(?<![\d+€.,])(\d{9}|\d{4}[.\s-]\d{2}[.\s-]\d{3}|\d{3}[.\s-]\d{3}[.\s-]\d{3})(?![\d])")
_AMOUNT_AFTER = re.compile(r"^\s*(?:euro|eur\b|,-)", re.IGNORECASE)
_AMOUNT_BEFORE = re.compile(r"(?:€|\beur|\beuro)\s*$", re.IGNORECASE)

_MONTHS = {
    **{m: i for i, m in enumerate(
        ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
         "november", "december"], start=1)},
    **{m: i for i, m in enumerate(
        ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
         "november", "december"], start=1)},
    **{m: i for i, m in enumerate(
        ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"], start=1)},
    "mar": 3, "oct": 10, "sept": 9,
}  # fmt: skip
_NUMERIC_DATE = re.compile(
    r"(?<!\d)(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})(?!\d|[-/.]\d)|(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)"
)
_WORD_DATE = re.compile(r"(?<!\d)(\d{1,2})\s+([a-z]+)\.?\s+(\d{4})(?!\d)", re.IGNORECASE)
_BIRTH_WORDS = re.compile(
    r"\b(?:geboren|geboortedatum|born|birth|dob)\b|\bgeb\.|تاريخ الميلاد|مواليد|ولد", re.IGNORECASE
)
# Arabic-Indic and Eastern Arabic-Indic digits, read as 0-9 (one character each, so positions stay).
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def _dates(text: str) -> list[tuple[int, int, date]]:
    found = []
    for match in _NUMERIC_DATE.finditer(text):
        if match.group(1):
            day, month, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
            if len(match.group(3)) == 2:  # '85 is 1985, '15 is 2015
                year += 2000 if year <= timezone.now().year % 100 else 1900
        else:
            year, month, day = int(match.group(4)), int(match.group(5)), int(match.group(6))
        try:
            found.append((match.start(), match.end(), date(year, month, day)))
        except ValueError:
            continue
    for match in _WORD_DATE.finditer(text):
        month_number = _MONTHS.get(match.group(2).lower())
        if month_number:
            try:
                found.append((match.start(), match.end(), date(int(match.group(3)), month_number, int(match.group(1)))))
            except ValueError:
                continue
    return found


def _looks_like_a_birth_date(text: str, start: int, end: int) -> bool:
    """A full date near a birth word, or in brackets right after someone (``Mevrouw (14-02-1979)``)."""
    if _BIRTH_WORDS.search(text[max(0, start - 40) : start]):
        return True
    return start > 0 and text[start - 1] == "(" and text[end : end + 1] == ")"


def find_personal_data(text: str) -> list[Finding]:
    """Everything in ``text`` that looks like personal data, in order of appearance."""
    original, text = text, text.translate(_DIGITS)
    findings: list[Finding] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, start: int, end: int) -> None:
        if any(start < t_end and end > t_start for t_start, t_end in taken):
            return  # already reported as something else (a phone number is not also a V-nummer)
        taken.append((start, end))
        findings.append(Finding(kind=kind, text=original[start:end], start=start, end=end))

    dates = _dates(text)
    for start, end, _when in dates:
        if _looks_like_a_birth_date(text, start, end):
            add("birth_date", start, end)
    # Dates that are not birthdays still are not phone numbers ("op 01-02-2024 12 gezinnen").
    taken.extend((start, end) for start, end, _when in dates)
    for match in _EMAIL.finditer(text):
        add("email", match.start(), match.end())
    for match in _PHONE.finditer(text):
        add("phone", match.start(), match.end())
    for match in _V_NUMBER.finditer(text):
        group = 1 if match.group(1) else 2
        add("v_number", match.start(group), match.end(group))
    for match in _BSN.finditer(text):
        amount = _AMOUNT_BEFORE.search(text[: match.start(1)]) or _AMOUNT_AFTER.match(text[match.end(1) :])
        if bsn_valid(re.sub(r"\D", "", match.group(1))) and not amount:
            add("bsn", match.start(1), match.end(1))
    return sorted(findings, key=lambda f: f.start)


def guard(*texts: str, confirmed: frozenset[str] | set[str] = frozenset()) -> None:
    """Raise PersonalDataFound for any finding in ``texts`` whose key the writer has not confirmed."""
    standing: dict[str, Finding] = {}
    for text in texts:
        for finding in find_personal_data(text):
            if finding.key not in confirmed:
                standing.setdefault(finding.key, finding)  # the same number twice is one finding
    if standing:
        raise PersonalDataFound(list(standing.values()))
