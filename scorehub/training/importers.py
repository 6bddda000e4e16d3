"""Enrolling enterprises in a programme from a spreadsheet (the programme's import pages and
``scorehub import enrolments FILE --programme ID``).

One row is one enterprise, named by its unified social credit code, optionally with the day it enrolled
(today when empty), its enrolment status and, for an enterprise that dropped out, the reason.  The
programme is not in the file: the import is opened from one programme (its id is in the URL, or given
with ``--programme``), which the importer must be allowed to manage.

A row is checked by the rules of enrolling on the programme page (``services.enrolment_refusal`` and
``services.enrolment_date_refusal``: not enrolled already, inside the programme's region, dated within the
programme), by the enrolment's own rules (a drop-out needs its reason), and:

* the enterprise must be one the importer manages; any other credit code gets the same message as an
  unknown one, so the answer never tells whether it exists;
* an enterprise listed twice in the file is refused the second time;
* the enrolment date must not lie in the future (the file records enrolments that happened).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from scorehub.core.importing import Column, Importer, Row, choice_lookup, chunked, parse_choice, parse_day
from scorehub.core.scoping import Action, OutOfScope
from scorehub.enterprises.credit_code import normalise
from scorehub.enterprises.importers import credit_code_column, enterprises_by_credit_code
from scorehub.enterprises.models import Enterprise

from . import services
from .models import Enrolment, EnrolmentStatus, Programme

STATUS_WORDS = {
    EnrolmentStatus.ENROLLED: ["报名", "已入选", "入选", "待分班"],
    EnrolmentStatus.ACTIVE: ["在训", "培训中", "参训中"],
    EnrolmentStatus.COMPLETED: ["完成", "结业", "已结业"],
    EnrolmentStatus.DROPPED: ["退出", "中途退出", "已退训", "退训", "drop-out", "dropped out"],
}


class EnrolmentImporter(Importer):
    model = Enrolment
    title = gettext_lazy("Import enrolments")
    action = Action.MANAGE
    url_namespace = "training"
    url_parameters = ("programme",)
    # Resolved in ``build`` (the programme of the URL, the enterprise within the actor's scope); full_clean
    # would query once per row.
    clean_exclude = ("programme", "enterprise")
    template_name = "enrolment-import-template"

    columns: ClassVar[tuple[Column, ...]] = (
        credit_code_column(
            help_zh="企业的 18 位代码；须是您管辖范围内、项目区域内的企业",
            help_en="the enterprise's 18-character code; an enterprise in your jurisdiction "
            "and in the programme's region",
        ),
        Column(
            "enrolled_on",
            "报名日期",
            "Enrolled on",
            aliases=("入选日期", "加入日期", "日期", "enrolment date", "date enrolled", "date"),
            example="2024-03-01",
            help_zh="年-月-日（如 2024-03-01）；空白为今天；在项目起止日期之内，不能晚于今天",
            help_en="year-month-day (e.g. 2024-03-01); empty means today; within the programme's dates, "
            "not later than today",
        ),
        Column(
            "status",
            "报名状态",
            "Enrolment status",
            aliases=("状态", "status"),
            example="已报名",
            help_zh="已报名、进行中、已完成 或 已退出；空白为已报名",
            help_en="enrolled, active, completed or dropped; empty means enrolled",
        ),
        Column(
            "dropped_reason",
            "退出原因",
            "Reason for dropping out",
            aliases=("退出理由", "退训原因", "drop reason", "dropped reason", "reason"),
            help_zh="状态为已退出时必填",
            help_en="required when the status is dropped",
        ),
    )

    # -- the programme --------------------------------------------------------------------------------------

    def resolve(self) -> None:
        programmes = (
            Programme.objects.all() if self.actor is None else Programme.objects.visible_to(self.actor, Action.MANAGE)
        )
        try:
            self.programme: Programme = programmes.select_related("region").get(pk=self.parameters["programme"])
        except (Programme.DoesNotExist, ValueError, TypeError) as exc:
            # Like the programme's other forms: a programme the user does not manage is not found.
            raise OutOfScope from exc

    def back_link(self) -> tuple[str, Any]:
        return self.programme.get_absolute_url(), self.programme.name

    # -- preparation ----------------------------------------------------------------------------------------

    def prepare(self, rows: list[Row]) -> None:
        self.today = timezone.localdate()
        self.statuses = choice_lookup(EnrolmentStatus, STATUS_WORDS)
        self.status_words = [str(label) for label in EnrolmentStatus.labels]
        # Only enterprises the actor manages: any other code is "unknown", whether it exists or not.
        self.enterprises = enterprises_by_credit_code(rows, self.actor, Action.MANAGE)
        self.enrolled: set[int] = set()
        ids = [e.pk for e in self.enterprises.values()]
        for batch in chunked(ids):
            self.enrolled |= services.enrolled_enterprise_ids(self.programme, batch)
        #: Enterprise id → the row of the file that enrols it first.
        self.seen: dict[int, int] = {}

    # -- one row --------------------------------------------------------------------------------------------

    def build(self, row: Row) -> Enrolment:
        values = {name: text.strip() for name, text in row.values.items()}
        enrolment = Enrolment(programme=self.programme, status=EnrolmentStatus.ENROLLED)
        enterprise = self._enterprise(row, values.get("credit_code", ""))
        if enterprise is not None:
            enrolment.enterprise = enterprise
        enrolment.enrolled_on = self._day(row, values.get("enrolled_on", ""))
        if values.get("status"):
            try:
                enrolment.status = parse_choice(values["status"], self.statuses, accepted=self.status_words)
            except ValidationError as exc:
                row.add_error("status", exc.messages[0])
        if enrolment.status != EnrolmentStatus.ENROLLED:
            # As when the status is changed on the enrolment's page: it holds since the day it was recorded.
            enrolment.status_changed_on = self.today
        if enrolment.status == EnrolmentStatus.DROPPED:
            # An empty reason is refused by the enrolment's own rule (``Enrolment.clean``).
            enrolment.dropped_reason = values.get("dropped_reason", "")
        return enrolment

    def _enterprise(self, row: Row, text: str) -> Enterprise | None:
        if not text:
            return None  # reported as an empty required column
        enterprise = self.enterprises.get(normalise(text))
        if enterprise is None:
            # The same words for "does not exist" and "not yours": the answer must not reveal which.
            row.add_error(
                "credit_code",
                _("Unknown enterprise “%(value)s”: use the unified social credit code of an enterprise you manage.")
                % {"value": text},
            )
            return None
        first = self.seen.get(enterprise.pk)
        if first is not None:
            row.add_error(
                "credit_code",
                _("“%(value)s” already appears in row %(row)d of this file.") % {"value": text, "row": first},
            )
            return None
        self.seen[enterprise.pk] = row.number
        refusal = services.enrolment_refusal(self.programme, enterprise, enrolled=self.enrolled)
        if refusal:
            row.add_error("credit_code", refusal)
            return None
        return enterprise

    def _day(self, row: Row, text: str) -> dt.date:
        """The enrolment date (today when empty); a refused one is reported and kept, so it is reported once."""
        day = self.today
        if text:
            try:
                day = parse_day(text)
            except ValidationError as exc:
                row.add_error("enrolled_on", exc.messages[0])
                return self.today
            if day > self.today:
                row.add_error("enrolled_on", _("This date lies in the future."))
                return day
        refusal = services.enrolment_date_refusal(self.programme, day)
        if refusal:
            row.add_error("enrolled_on", refusal)
        return day

    # -- preview --------------------------------------------------------------------------------------------

    def preview_values(self, row: Row) -> list[str]:
        enrolment = row.record
        if not isinstance(enrolment, Enrolment) or row.errors:
            return super().preview_values(row)
        enterprise = enrolment.enterprise
        return [
            f"{enterprise.credit_code} {enterprise.name}",
            enrolment.enrolled_on.isoformat(),
            str(enrolment.get_status_display()),
            enrolment.dropped_reason,
        ]
