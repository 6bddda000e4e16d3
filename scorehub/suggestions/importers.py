"""Importing historical suggestions from a spreadsheet (the web import and ``scorehub import suggestions FILE``).

One row is one suggestion, with the enterprise's unified social credit code, the day it was submitted,
the problem, the suggestion and its category, and optionally what became of it (status, dates, reason
for rejection, owner, due date) and who sent it.  Rows are checked as the board checks a move (a
rejection needs its reason, work in progress an owner and a due date, an implemented suggestion its
date), plus:

* the enterprise must be one whose suggestions the importer runs (``operate``); any other credit code
  gets the same message as an unknown one, so the answer never tells whether it exists;
* a suggestion must not be imported twice: a row with the same enterprise, submission day, problem and
  suggestion as an earlier row of the file, or as a suggestion already in SCORE Hub, is refused.

Imported suggestions carry the channel "imported", a fresh tracking code and a timeline: "submitted" on
the submission day and, if it moved on, the status it reached, on its decision or implementation day.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from scorehub.core.importing import (
    BATCH_SIZE,
    Column,
    Importer,
    Progress,
    Row,
    choice_lookup,
    chunked,
    parse_choice,
    parse_day,
)
from scorehub.core.scoping import Action
from scorehub.enterprises.credit_code import normalise
from scorehub.enterprises.importers import credit_code_column, enterprises_by_credit_code
from scorehub.enterprises.models import Enterprise

from .models import (
    AWAITING_DECISION,
    Category,
    Channel,
    Gender,
    Suggestion,
    SuggestionEvent,
    SuggestionStatus,
    new_tracking_code,
)

CATEGORY_WORDS = {
    Category.SAFETY: ["安全", "安全生产", "职业安全", "safety and health"],
    Category.QUALITY: ["质量", "品质"],
    Category.PRODUCTIVITY: ["效率", "生产效率", "效率提升", "efficiency"],
    Category.COST: ["成本", "成本与资源", "降本", "节能降耗", "资源", "cost", "resources"],
    Category.ENVIRONMENT: ["环境", "环保", "5s", "6s", "现场管理"],
    Category.WORKING_CONDITIONS: ["工作条件", "劳动条件", "工作环境", "作业条件"],
    Category.COOPERATION: ["合作", "沟通", "沟通合作", "沟通与合作", "communication"],
}
STATUS_WORDS = {
    SuggestionStatus.SUBMITTED: ["已提交", "提交", "待审核", "待处理", "新建", "new"],
    SuggestionStatus.UNDER_REVIEW: ["审核中", "评审中", "处理中", "review", "in review"],
    SuggestionStatus.ADOPTED: ["已采纳", "采纳", "采用", "已采用", "accepted"],
    SuggestionStatus.REJECTED: ["不采纳", "未采纳", "不采用", "驳回", "已驳回", "not adopted"],
    SuggestionStatus.IN_PROGRESS: ["实施中", "整改中", "进行中", "ongoing"],
    SuggestionStatus.IMPLEMENTED: ["已实施", "已完成", "完成", "实施完成", "done", "completed"],
}
GENDER_WORDS = {
    Gender.WOMAN: ["女", "女性", "female", "f", "w"],
    Gender.MAN: ["男", "男性", "male", "m"],
    Gender.UNKNOWN: ["未知", "不详", "保密", "unknown"],
}
#: Statuses an imported suggestion may have (a merged duplicate is the board's business, not history's).
IMPORTABLE_STATUSES = [s for s in SuggestionStatus if s != SuggestionStatus.MERGED]
#: Longest problem or suggestion text (as on the forms).
TEXT_LIMIT = 2000
#: Imported suggestions are dated at this time of their day (the files know only the day).
IMPORT_TIME = dt.time(hour=9)


def _same_text(text: str) -> str:
    """Texts compare without regard to spacing and width (what a re-typed or re-saved file changes)."""
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, IMPORT_TIME))


class SuggestionImporter(Importer):
    model = Suggestion
    title = gettext_lazy("Import suggestions")
    action = Action.OPERATE
    url_namespace = "suggestions"
    list_url_name = "suggestions:list"
    # Resolved in ``build`` (the enterprise within the actor's scope); full_clean would query once per row.
    clean_exclude = ("enterprise", "created_by")
    template_name = "suggestion-import-template"

    columns: ClassVar[tuple[Column, ...]] = (
        credit_code_column(
            help_zh="建议所属企业的 18 位代码；须是您负责其合理化建议的企业",
            help_en="the 18-character code of the enterprise the suggestion belongs to; "
            "it must be an enterprise whose suggestions you look after",
        ),
        Column(
            "submitted_on",
            "提交日期",
            "Submitted on",
            aliases=("提出日期", "建议日期", "提交时间", "日期", "submission date", "date submitted", "submitted"),
            required=True,
            example="2024-03-01",
            help_zh="年-月-日（如 2024-03-01，也可写 2024/3/1 或 2024年3月1日）；不能晚于今天",
            help_en="year-month-day (e.g. 2024-03-01; 2024/3/1 works too); not later than today",
        ),
        Column(
            "problem",
            "问题",
            "Problem",
            aliases=("问题描述", "存在问题", "存在的问题", "现状", "what is the problem"),
            required=True,
            example="叉车通道没有划线，行人和叉车混行",
            help_zh="最多 2000 字",
            help_en="at most 2,000 characters",
        ),
        Column(
            "proposal",
            "建议",
            "Suggestion",
            aliases=("建议内容", "改善建议", "合理化建议", "建议措施", "改进措施", "suggested improvement"),
            required=True,
            example="在通道两侧划黄线，设置行人专用通道",
            help_zh="最多 2000 字",
            help_en="at most 2,000 characters",
        ),
        Column(
            "category",
            "类别",
            "Category",
            aliases=("建议类别", "类型", "分类", "建议类型", "type"),
            required=True,
            example="安全",
            help_zh="安全、质量、生产效率、成本与资源、环境、工作条件 或 沟通合作",
            help_en="safety, quality, productivity, cost and resources, environment, working conditions or cooperation",
        ),
        Column(
            "workshop",
            "车间",
            "Workshop",
            aliases=("车间/部门", "部门", "班组", "工段", "department"),
            example="仓库",
        ),
        Column(
            "status",
            "状态",
            "Status",
            aliases=("处理状态", "建议状态", "处理结果", "结果"),
            example="已实施",
            help_zh="已提交、审核中、已采纳、未采纳（不采纳）、实施中 或 已实施；空白为已提交",
            help_en="submitted, under review, adopted, rejected, in progress or implemented; empty means submitted",
        ),
        Column(
            "decided_on",
            "决定日期",
            "Decided on",
            aliases=("审核日期", "采纳日期", "评审日期", "decision date"),
            example="2024-03-05",
            help_zh="采纳或不采纳的日期；空白则用提交日期",
            help_en="the day it was adopted or rejected; empty means the submission date",
        ),
        Column(
            "implemented_on",
            "实施日期",
            "Implemented on",
            aliases=("完成日期", "实施完成日期", "implementation date"),
            example="2024-03-20",
            help_zh="状态为已实施时必填",
            help_en="required when the status is implemented",
        ),
        Column(
            "rejection_reason",
            "不采纳理由",
            "Reason for rejection",
            aliases=("未采纳理由", "不采纳原因", "未采纳原因", "驳回理由", "rejection reason", "reason"),
            help_zh="状态为未采纳时必填；员工在查询页面能看到",
            help_en="required when the status is rejected; the worker sees it on the tracking page",
        ),
        Column(
            "owner_name",
            "负责人",
            "Owner",
            aliases=("责任人", "实施负责人", "owner"),
            help_zh="状态为实施中时必填",
            help_en="required when the status is in progress",
        ),
        Column(
            "due_date",
            "截止日期",
            "Due date",
            aliases=("计划完成日期", "完成期限", "期限", "due", "deadline"),
            help_zh="状态为实施中时必填",
            help_en="required when the status is in progress",
        ),
        Column(
            "submitter_name",
            "建议人",
            "Submitted by",
            aliases=("姓名", "提出人", "建议人姓名", "name", "submitter"),
            help_zh="可选：空白即匿名；只有企业改善团队能看到",
            help_en="optional: empty means anonymous; only the improvement team sees it",
        ),
        Column(
            "submitter_gender",
            "性别",
            "Gender",
            aliases=("建议人性别", "sex"),
            help_zh="女 或 男；可空白",
            help_en="woman or man; may be empty",
        ),
    )

    # -- preparation --------------------------------------------------------------------------------

    def prepare(self, rows: list[Row]) -> None:
        self.categories = choice_lookup(Category, CATEGORY_WORDS)
        self.statuses = {
            word: value
            for word, value in choice_lookup(SuggestionStatus, STATUS_WORDS).items()
            if value != SuggestionStatus.MERGED
        }
        self.genders = choice_lookup(Gender, GENDER_WORDS)
        self.category_words = [str(label) for label in Category.labels]
        self.status_words = [str(s.label) for s in IMPORTABLE_STATUSES]
        self.gender_words = [str(Gender.WOMAN.label), str(Gender.MAN.label)]
        self.today = timezone.localdate()
        # Only enterprises whose suggestions the actor runs: any other code is "unknown", whether it exists or not.
        self.enterprises = enterprises_by_credit_code(rows, self.actor, self.action)
        self.existing = self._existing_keys(rows)
        #: Key of each suggestion seen so far in the file → its row number.
        self.seen: dict[tuple[int, dt.date, str, str], int] = {}

    def _existing_keys(self, rows: list[Row]) -> set[tuple[int, dt.date, str, str]]:
        """Enterprise, day, problem and suggestion of the suggestions already held for the file's enterprises."""
        days = []
        for row in rows:
            try:
                days.append(parse_day(row.values.get("submitted_on", "")))
            except ValidationError:
                continue
        ids = sorted({e.pk for e in self.enterprises.values()})
        if not days or not ids:
            return set()
        since, until = _at(min(days)) - dt.timedelta(days=1), _at(max(days)) + dt.timedelta(days=1)
        keys = set()
        for batch in chunked(ids):
            found = Suggestion.objects.filter(
                enterprise_id__in=list(batch), submitted_at__gte=since, submitted_at__lte=until
            ).values_list("enterprise_id", "submitted_at", "problem", "proposal")
            for enterprise_id, submitted_at, problem, proposal in found:
                keys.add((enterprise_id, timezone.localdate(submitted_at), _same_text(problem), _same_text(proposal)))
        return keys

    # -- one row ------------------------------------------------------------------------------------

    def build(self, row: Row) -> Suggestion:
        values = {name: text.strip() for name, text in row.values.items()}
        suggestion = Suggestion(
            workshop=values.get("workshop", ""),
            problem=values.get("problem", ""),
            proposal=values.get("proposal", ""),
            submitter_name=values.get("submitter_name", ""),
            channel=Channel.IMPORT,
            status=SuggestionStatus.SUBMITTED,
            created_by=self.actor,
        )
        enterprise = self._enterprise(row, values.get("credit_code", ""))
        if enterprise is not None:
            suggestion.enterprise = enterprise
        for name in ("problem", "proposal"):
            if len(values.get(name, "")) > TEXT_LIMIT:
                row.add_error(
                    name,
                    _("At most %(limit)d characters; this text has %(count)d.")
                    % {"limit": TEXT_LIMIT, "count": len(values[name])},
                )
        choices = (
            ("category", self.categories, self.category_words),
            ("status", self.statuses, self.status_words),
            ("submitter_gender", self.genders, self.gender_words),
        )
        for name, lookup, words in choices:
            if values.get(name):
                try:
                    setattr(suggestion, name, parse_choice(values[name], lookup, accepted=words))
                except ValidationError as exc:
                    row.add_error(name, exc.messages[0])
        days = self._days(row, values)
        self._apply_history(row, suggestion, values, days)
        submitted = days.get("submitted_on")
        if enterprise is not None and submitted is not None and suggestion.problem and suggestion.proposal:
            key = (enterprise.pk, submitted, _same_text(suggestion.problem), _same_text(suggestion.proposal))
            self._check_duplicate(row, key)
        return suggestion

    def _enterprise(self, row: Row, text: str) -> Enterprise | None:
        if not text:
            return None  # reported as an empty required column
        enterprise = self.enterprises.get(normalise(text))
        if enterprise is None:
            # The same words for "does not exist" and "not yours": the answer must not reveal which.
            row.add_error(
                "credit_code",
                _(
                    "Unknown enterprise “%(value)s”: use the unified social credit code of an enterprise "
                    "whose suggestions you look after."
                )
                % {"value": text},
            )
        return enterprise

    def _days(self, row: Row, values: dict[str, str]) -> dict[str, dt.date]:
        days: dict[str, dt.date] = {}
        for name in ("submitted_on", "decided_on", "implemented_on", "due_date"):
            if not values.get(name):
                continue
            try:
                day = parse_day(values[name])
            except ValidationError as exc:
                row.add_error(name, exc.messages[0])
                continue
            if name != "due_date" and day > self.today:
                row.add_error(name, _("This date lies in the future."))
                continue
            days[name] = day
        submitted = days.get("submitted_on")
        for name in ("decided_on", "implemented_on"):
            if submitted is not None and name in days and days[name] < submitted:
                row.add_error(name, _("This date lies before the submission date."))
                del days[name]
        if "decided_on" in days and "implemented_on" in days and days["implemented_on"] < days["decided_on"]:
            row.add_error("implemented_on", _("A suggestion cannot be implemented before it was decided on."))
            del days["implemented_on"]
        return days

    def _apply_history(
        self, row: Row, suggestion: Suggestion, values: dict[str, str], days: dict[str, dt.date]
    ) -> None:
        """The dates, reason, owner and due date that the status needs, as the board asks for them."""
        status = suggestion.status
        submitted = days.get("submitted_on")
        if submitted is not None:
            suggestion.submitted_at = _at(submitted)
        if status == SuggestionStatus.REJECTED:
            if values.get("rejection_reason"):
                suggestion.rejection_reason = values["rejection_reason"]
            else:
                row.add_error("rejection_reason", _("A rejected suggestion needs the reason for the rejection."))
        if status == SuggestionStatus.IN_PROGRESS:
            if not values.get("owner_name"):
                row.add_error("owner_name", _("A suggestion in progress needs an owner."))
            if not values.get("due_date"):
                row.add_error("due_date", _("A suggestion in progress needs a due date."))
        if status == SuggestionStatus.IMPLEMENTED:
            implemented = days.get("implemented_on")
            if implemented is not None:
                suggestion.implemented_at = _at(implemented)
            elif not values.get("implemented_on"):
                row.add_error("implemented_on", _("An implemented suggestion needs the implementation date."))
        suggestion.owner_name = values.get("owner_name", "")
        suggestion.due_date = days.get("due_date")
        if status not in AWAITING_DECISION:
            decided = days.get("decided_on") or days.get("implemented_on") or submitted
            suggestion.decided_at = _at(decided) if decided is not None else None

    def _check_duplicate(self, row: Row, key: tuple[int, dt.date, str, str]) -> None:
        first = self.seen.get(key)
        if first is not None:
            row.add_error(
                "problem",
                _("The same suggestion (enterprise, submission date, problem and suggestion) is in row %(row)d.")
                % {"row": first},
            )
            return
        self.seen[key] = row.number
        if key in self.existing:
            row.add_error(
                "problem",
                _(
                    "This suggestion (same enterprise, submission date, problem and suggestion) is already "
                    "in SCORE Hub: it cannot be imported again."
                ),
            )

    # -- preview and saving -------------------------------------------------------------------------

    def preview_values(self, row: Row) -> list[str]:
        suggestion = row.record
        if not isinstance(suggestion, Suggestion) or row.errors:
            return super().preview_values(row)

        def day(value: dt.datetime | dt.date | None) -> str:
            if isinstance(value, dt.datetime):
                return timezone.localdate(value).isoformat()
            return value.isoformat() if value else ""

        enterprise = suggestion.enterprise
        return [
            f"{enterprise.credit_code} {enterprise.name}",
            day(suggestion.submitted_at),
            suggestion.problem,
            suggestion.proposal,
            str(suggestion.get_category_display()),
            suggestion.workshop,
            str(suggestion.get_status_display()),
            day(suggestion.decided_at),
            day(suggestion.implemented_at),
            suggestion.rejection_reason,
            suggestion.owner_name,
            day(suggestion.due_date),
            suggestion.submitter_name,
            str(suggestion.get_submitter_gender_display()) if suggestion.submitter_gender else "",
        ]

    def save(self, rows: list[Row], progress: Progress) -> list[models.Model]:
        suggestions = [row.record for row in rows if isinstance(row.record, Suggestion)]
        for suggestion, code in zip(suggestions, _free_tracking_codes(len(suggestions)), strict=True):
            suggestion.tracking_code = code
        created: list[models.Model] = []
        for batch in chunked(suggestions):
            created.extend(Suggestion.objects.bulk_create(batch))
            progress("saving", len(created), len(suggestions))
        events = []
        note = str(Channel.IMPORT.label)
        for suggestion in suggestions:
            events.append(
                SuggestionEvent(
                    suggestion=suggestion,
                    at=suggestion.submitted_at,
                    actor=self.actor,
                    kind=SuggestionEvent.Kind.SUBMITTED,
                    to_status=SuggestionStatus.SUBMITTED,
                    note=note,
                )
            )
            if suggestion.status != SuggestionStatus.SUBMITTED:
                events.append(
                    SuggestionEvent(
                        suggestion=suggestion,
                        at=suggestion.implemented_at or suggestion.decided_at or suggestion.submitted_at,
                        actor=self.actor,
                        kind=SuggestionEvent.Kind.STATUS,
                        from_status=SuggestionStatus.SUBMITTED,
                        to_status=suggestion.status,
                        note=suggestion.rejection_reason or note,
                    )
                )
        created.extend(SuggestionEvent.objects.bulk_create(events, batch_size=BATCH_SIZE))
        return created


def _free_tracking_codes(count: int) -> list[str]:
    """``count`` new tracking codes that no suggestion holds (one query per 500; collisions are rare)."""
    codes: set[str] = set()
    while len(codes) < count:
        fresh = sorted({new_tracking_code() for _ in range(count - len(codes))} - codes)
        taken: set[str] = set()
        for batch in chunked(fresh):
            taken.update(
                Suggestion.objects.filter(tracking_code__in=list(batch)).values_list("tracking_code", flat=True)
            )
        codes.update(set(fresh) - taken)
    return list(codes)
