"""Validators shared by models, forms, serializers and filters.

Dates and times are bounded to the years ``EARLIEST_YEAR``..``LATEST_YEAR``.  Nothing SCORE Hub records
(programmes, visits, checks, suggestions, a team member joining) can predate the People's Republic or lie
beyond the end of this century, and unbounded years do harm: year 1 is stored, but its time in
Asia/Shanghai is local mean time and comes back as ``+08:05:43``; year 9999 overflows when converted
between time zones.  A value outside the bounds is a clear validation error (a 400 in the API).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

EARLIEST_YEAR = 1949
LATEST_YEAR = 2100
EARLIEST_DATE = datetime.date(EARLIEST_YEAR, 1, 1)
LATEST_DATE = datetime.date(LATEST_YEAR, 12, 31)

#: The bounds as a regular expression over ISO 8601 text (for the OpenAPI schema): the year part.
YEAR_PATTERN = r"(19(49|[5-9]\d)|20\d\d|2100)"
DATE_PATTERN = rf"^{YEAR_PATTERN}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"
DATETIME_PATTERN = (
    rf"^{YEAR_PATTERN}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
    r"T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$"
)


@deconstructible
class PlausibleDateValidator:
    """Refuse a date or datetime whose year lies outside ``EARLIEST_YEAR``..``LATEST_YEAR``."""

    message = _("Enter a date between %(earliest)s and %(latest)s.")
    code = "date_out_of_range"

    def __call__(self, value: datetime.date | None) -> None:
        if value is None:
            return
        if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            raise ValidationError(
                self.message,
                code=self.code,
                params={"earliest": EARLIEST_DATE.isoformat(), "latest": LATEST_DATE.isoformat()},
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PlausibleDateValidator)

    def __hash__(self) -> int:
        return hash(PlausibleDateValidator)


validate_plausible_date = PlausibleDateValidator()
