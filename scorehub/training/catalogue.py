"""The five core SCORE modules in both languages (version 1).  Workplace Cooperation comes first and is the
prerequisite of the other four.  Used by the data migration and by the demo data set (which re-seeds them
after a test flush); new modules and versions are added in the UI."""

from __future__ import annotations

from typing import Any

CORE_MODULES = [
    # code, order, name_zh, name_en, classroom days, description_zh, description_en
    (
        "WC",
        1,
        "工作场所合作",
        "Workplace Cooperation",
        2,
        "建立管理者与员工的沟通与合作机制，组建企业改善团队，开展合理化建议活动。",
        "Set up communication and cooperation between managers and workers, form the Enterprise Improvement "
        "Team and run a suggestion scheme.",
    ),
    (
        "QM",
        2,
        "质量管理",
        "Quality Management",
        2,
        "以客户为中心，减少缺陷和返工，持续改进质量。",
        "Put the customer first, reduce defects and rework, and keep improving quality.",
    ),
    (
        "CP",
        3,
        "清洁生产 / 资源效率",
        "Clean Production / Resource Efficiency",
        2,
        "减少能源、原材料和水的浪费，降低对环境的影响。",
        "Cut the waste of energy, materials and water, and reduce the impact on the environment.",
    ),
    (
        "HR",
        4,
        "人力资源管理",
        "Workforce (Human Resource) Management",
        2,
        "完善招聘、薪酬、培训和沟通，降低员工流失率。",
        "Improve recruitment, pay, training and communication, and reduce staff turnover.",
    ),
    (
        "OSH",
        5,
        "职业安全与健康",
        "Safety and Health at Work",
        2,
        "识别危险源和事故隐患，落实风险管控措施，预防事故和职业病。",
        "Find hazards and hidden dangers, put risk controls in place, and prevent accidents and occupational disease.",
    ),
]


def seed_core_modules(Module: Any) -> None:
    """Create or refresh the core modules; ``Module`` is the migration's historical model or the real one."""
    created = {}
    for code, order, name_zh, name_en, days, description_zh, description_en in CORE_MODULES:
        module, _ = Module.objects.update_or_create(
            code=code,
            version=1,
            defaults={
                "order": order,
                "name_zh": name_zh,
                "name_en": name_en,
                "classroom_days": days,
                "default_followup_visits": 3,
                "description_zh": description_zh,
                "description_en": description_en,
                "is_active": True,
            },
        )
        created[code] = module
    for code, module in created.items():
        if code != "WC":
            module.prerequisites.add(created["WC"])
