"""The standard KPIs and good practices of SCORE, kept small on purpose (ILO's evaluations found that
too many indicators make the data unreliable).  Programmes add their own through the catalogue pages.

``ensure_catalogue`` is idempotent: the data migration and the demo data set both call it.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from scorehub.core.i18n import pick

# code, name_zh, name_en, unit_zh, unit_en, better, order
STANDARD_KPIS = [
    ("labour_productivity", "劳动生产率", "Labour productivity", "件/工时", "units per labour hour", "higher", 10),
    ("defect_rate", "不良品率", "Defect rate", "%", "%", "lower", 20),
    ("material_waste", "材料损耗率", "Material waste", "%", "%", "lower", 30),
    ("energy_per_unit", "单位产品能耗", "Energy per unit", "千瓦时/件", "kWh per unit", "lower", 40),
    ("absenteeism", "缺勤率", "Absenteeism", "%", "%", "lower", 50),
    ("staff_turnover", "员工流失率", "Staff turnover", "%", "%", "lower", 60),
    ("lost_time_accidents", "损工事故", "Lost-time accidents", "起", "accidents", "lower", 70),
    ("overtime_hours", "人均加班时数", "Overtime hours", "小时/人", "hours per worker", "lower", 80),
]

# code, module, text_zh, text_en, order
STANDARD_PRACTICES = [
    ("wc_suggestion_scheme", "WC", "有运行中的合理化建议制度", "A working suggestion scheme", 10),
    ("wc_team_meets", "WC", "企业改善团队每月至少开会一次", "The improvement team meets at least monthly", 20),
    ("wc_workers_on_team", "WC", "一线员工参加企业改善团队", "Frontline workers sit on the improvement team", 30),
    ("wc_results_shared", "WC", "改善成果向员工公开", "Improvement results are shared with workers", 40),
    ("qm_defects_analysed", "QM", "不良品有记录并分析原因", "Defects are recorded and their causes analysed", 50),
    ("cp_use_measured", "CP", "材料和能源消耗按月计量", "Material and energy use are measured monthly", 60),
    ("osh_hazards_posted", "OSH", "隐患排查治理情况向员工公布", "Hazards are posted for workers", 70),
    ("osh_risk_cards", "OSH", "风险点设有风险告知卡", "Risk points carry risk notice cards", 80),
    ("osh_checklist_checks", "OSH", "按检查表定期开展安全检查", "Safety checks follow a checklist on a schedule", 90),
    ("osh_drills", "OSH", "每年至少开展一次应急演练", "Emergency drills are held at least once a year", 100),
]

#: Names of the SCORE modules, for the module codes the catalogues use (the training app owns the
#: module catalogue; these names only label codes here).
MODULE_NAMES = {
    "WC": ("工作场所合作", "Workplace cooperation"),
    "QM": ("质量管理", "Quality management"),
    "CP": ("清洁生产", "Clean production"),
    "HR": ("人力资源管理", "Workforce management"),
    "OSH": ("职业安全与健康", "Safety and health at work"),
}


def module_name(code: str) -> str:
    names = MODULE_NAMES.get(code)
    return f"{code} {pick(*names)}" if names else code


def module_choices(extra: list[str] | None = None) -> list[tuple[str, str]]:
    codes = list(MODULE_NAMES)
    for code in extra or []:
        if code not in codes:
            codes.append(code)
    return [(code, module_name(code)) for code in codes]


def ensure_catalogue(apps: Any = None) -> None:
    """Create the standard KPIs and practices that are missing (existing rows are left as they are)."""
    kpi_model: Any
    practice_model: Any
    if apps is None:
        from .models import Kpi as kpi_model
        from .models import Practice as practice_model
    else:
        kpi_model = apps.get_model("indicators", "Kpi")
        practice_model = apps.get_model("indicators", "Practice")
    existing = set(kpi_model.objects.values_list("code", flat=True))
    kpi_model.objects.bulk_create(
        [
            kpi_model(
                code=code,
                name_zh=zh,
                name_en=en,
                unit_zh=unit_zh,
                unit_en=unit_en,
                better=better,
                order=order,
                is_standard=True,
            )
            for code, zh, en, unit_zh, unit_en, better, order in STANDARD_KPIS
            if code not in existing
        ]
    )
    existing = set(practice_model.objects.values_list("code", flat=True))
    practice_model.objects.bulk_create(
        [
            practice_model(code=code, module=module, text_zh=zh, text_en=en, order=order, is_standard=True)
            for code, module, zh, en, order in STANDARD_PRACTICES
            if code not in existing
        ]
    )


# Labels of the stages, for places that need them outside a model (exports).
STAGE_LABELS = {"baseline": _("baseline"), "follow_up": _("follow-up")}
