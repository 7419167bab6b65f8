"""Personal data in a response: emails, phone numbers, payment card numbers (Luhn-checked), IP addresses."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# 13-19 digits, optionally grouped by spaces or dashes
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
# international (+country ...) or North-American style; bare digit runs such as order numbers and
# ISO dates are deliberately not phones
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[\s.-]?(?:\(?\d{1,4}\)?[\s.-]?){2,5}\d{2,4}|\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4})(?!\d)")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")


@dataclass(frozen=True)
class PiiFinding:
    kind: str  # email, phone, card, ip
    text: str


def luhn_ok(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def find_pii(text: str) -> list[PiiFinding]:
    found = [PiiFinding("email", m) for m in _EMAIL.findall(text)]
    cards = [m.strip() for m in _CARD.findall(text) if luhn_ok(re.sub(r"\D", "", m))]
    found += [PiiFinding("card", m) for m in cards]
    found += [PiiFinding("phone", m.strip()) for m in _PHONE.findall(text) if not any(m.strip() in c or c in m for c in cards)]
    found += [PiiFinding("ip", m) for m in _IPV4.findall(text) + _IPV6.findall(text) if _is_ip(m)]
    return found


def redact(text: str | None) -> str | None:
    """`text` with every finding replaced by `[<kind>]`, so reports and MLflow never keep the data itself."""
    if text is None:
        return None
    for finding in sorted(find_pii(text), key=lambda f: -len(f.text)):
        text = text.replace(finding.text, f"[{finding.kind}]")
    return text
