"""The unified social credit code (统一社会信用代码, GB 32100-2015).

18 characters from a 31-symbol alphabet; characters 3–8 are the registration region's GB/T 2260 code;
the 18th is a check character computed from the first 17 with fixed weights.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {ch: i for i, ch in enumerate(ALPHABET)}
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18


def check_character(first17: str) -> str:
    """The check character for the first 17 characters (which must be in the alphabet)."""
    total = sum(VALUES[ch] * weight for ch, weight in zip(first17, WEIGHTS, strict=True))
    value = 31 - total % 31
    return ALPHABET[0 if value == 31 else value]


def normalise(value: str) -> str:
    return (value or "").strip().upper()


def validate_credit_code(value: str) -> None:
    """Raise a ValidationError that names the position that is wrong."""
    code = normalise(value)
    if len(code) != LENGTH:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(count)d.") % {"count": len(code)},
            code="length",
        )
    for position, ch in enumerate(code, start=1):
        if ch not in VALUES:
            raise ValidationError(
                _("Character %(position)d (“%(char)s”) is not allowed in a credit code (I, O, S, V and Z never are).")
                % {"position": position, "char": ch},
                code="character",
            )
    if not code[2:8].isdigit():
        raise ValidationError(
            _("Characters 3 to 8 must be the six-digit region code; “%(part)s” is not.") % {"part": code[2:8]},
            code="region",
        )
    expected = check_character(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _("The check character (position 18) is “%(found)s” but should be “%(expected)s”: a character is mistyped.")
            % {"found": code[17], "expected": expected},
            code="check",
        )


def build_credit_code(region_code: str, body: str, registration_type: str = "91") -> str:
    """Assemble a valid code: 2-character type, 6-digit region, 9-character organisation code, check."""
    first17 = f"{registration_type}{region_code[:6]}{body}"
    if len(first17) != 17:
        raise ValueError("registration type + region + body must be 17 characters")
    return first17 + check_character(first17)
