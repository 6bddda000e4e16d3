"""Industry classification GB/T 4754-2017: sections (门类) and divisions (大类), in both languages.

Enterprises store their division; the section follows from it.  Reference data that never changes
between releases of the standard lives in code, not in a table, so every query can group by it freely.
"""

from __future__ import annotations

from dataclasses import dataclass

from scorehub.core.i18n import pick


@dataclass(frozen=True)
class Division:
    code: str
    section: str
    name_zh: str
    name_en: str

    @property
    def name(self) -> str:
        return pick(self.name_zh, self.name_en)


SECTIONS: dict[str, tuple[str, str]] = {
    "A": ("农、林、牧、渔业", "Agriculture, forestry, animal husbandry and fishery"),
    "B": ("采矿业", "Mining"),
    "C": ("制造业", "Manufacturing"),
    "D": ("电力、热力、燃气及水生产和供应业", "Electricity, heat, gas and water"),
    "E": ("建筑业", "Construction"),
    "F": ("批发和零售业", "Wholesale and retail trade"),
    "G": ("交通运输、仓储和邮政业", "Transport, storage and post"),
    "H": ("住宿和餐饮业", "Accommodation and catering"),
    "I": ("信息传输、软件和信息技术服务业", "Information transmission, software and IT services"),
    "J": ("金融业", "Finance"),
    "K": ("房地产业", "Real estate"),
    "L": ("租赁和商务服务业", "Leasing and business services"),
    "M": ("科学研究和技术服务业", "Scientific research and technical services"),
    "N": ("水利、环境和公共设施管理业", "Water, environment and public facilities management"),
    "O": ("居民服务、修理和其他服务业", "Residential, repair and other services"),
    "P": ("教育", "Education"),
    "Q": ("卫生和社会工作", "Health and social work"),
    "R": ("文化、体育和娱乐业", "Culture, sports and entertainment"),
    "S": ("公共管理、社会保障和社会组织", "Public administration, social security and social organisations"),
    "T": ("国际组织", "International organisations"),
}

_DIVISIONS: list[tuple[str, str, str, str]] = [
    ("01", "A", "农业", "Agriculture"),
    ("02", "A", "林业", "Forestry"),
    ("03", "A", "畜牧业", "Animal husbandry"),
    ("04", "A", "渔业", "Fishery"),
    ("05", "A", "农、林、牧、渔专业及辅助性活动", "Support activities for agriculture, forestry and fishery"),
    ("06", "B", "煤炭开采和洗选业", "Coal mining and washing"),
    ("07", "B", "石油和天然气开采业", "Oil and natural gas extraction"),
    ("08", "B", "黑色金属矿采选业", "Mining of ferrous metal ores"),
    ("09", "B", "有色金属矿采选业", "Mining of non-ferrous metal ores"),
    ("10", "B", "非金属矿采选业", "Mining of non-metallic minerals"),
    ("11", "B", "开采专业及辅助性活动", "Mining support activities"),
    ("12", "B", "其他采矿业", "Other mining"),
    ("13", "C", "农副食品加工业", "Processing of agricultural and sideline foods"),
    ("14", "C", "食品制造业", "Food manufacturing"),
    ("15", "C", "酒、饮料和精制茶制造业", "Liquor, beverages and refined tea"),
    ("16", "C", "烟草制品业", "Tobacco products"),
    ("17", "C", "纺织业", "Textiles"),
    ("18", "C", "纺织服装、服饰业", "Garments and apparel"),
    ("19", "C", "皮革、毛皮、羽毛及其制品和制鞋业", "Leather, fur, feathers and footwear"),
    ("20", "C", "木材加工和木、竹、藤、棕、草制品业", "Wood, bamboo, rattan, palm and straw products"),
    ("21", "C", "家具制造业", "Furniture"),
    ("22", "C", "造纸和纸制品业", "Paper and paper products"),
    ("23", "C", "印刷和记录媒介复制业", "Printing and reproduction of recorded media"),
    ("24", "C", "文教、工美、体育和娱乐用品制造业", "Stationery, crafts, sports and recreation goods"),
    ("25", "C", "石油、煤炭及其他燃料加工业", "Petroleum, coal and other fuel processing"),
    ("26", "C", "化学原料和化学制品制造业", "Chemicals and chemical products (incl. fireworks)"),
    ("27", "C", "医药制造业", "Pharmaceuticals"),
    ("28", "C", "化学纤维制造业", "Chemical fibres"),
    ("29", "C", "橡胶和塑料制品业", "Rubber and plastic products"),
    ("30", "C", "非金属矿物制品业", "Non-metallic mineral products (incl. glass)"),
    ("31", "C", "黑色金属冶炼和压延加工业", "Smelting and rolling of ferrous metals"),
    ("32", "C", "有色金属冶炼和压延加工业", "Smelting and rolling of non-ferrous metals"),
    ("33", "C", "金属制品业", "Metal products"),
    ("34", "C", "通用设备制造业", "General-purpose machinery"),
    ("35", "C", "专用设备制造业", "Special-purpose machinery"),
    ("36", "C", "汽车制造业", "Motor vehicles"),
    ("37", "C", "铁路、船舶、航空航天和其他运输设备制造业", "Railway, ships, aerospace and other transport equipment"),
    ("38", "C", "电气机械和器材制造业", "Electrical machinery and equipment"),
    ("39", "C", "计算机、通信和其他电子设备制造业", "Computers, communication and other electronic equipment"),
    ("40", "C", "仪器仪表制造业", "Instruments and meters"),
    ("41", "C", "其他制造业", "Other manufacturing"),
    ("42", "C", "废弃资源综合利用业", "Recycling of waste resources"),
    ("43", "C", "金属制品、机械和设备修理业", "Repair of metal products, machinery and equipment"),
    ("44", "D", "电力、热力生产和供应业", "Electricity and heat production and supply"),
    ("45", "D", "燃气生产和供应业", "Gas production and supply"),
    ("46", "D", "水的生产和供应业", "Water production and supply"),
    ("47", "E", "房屋建筑业", "Building construction"),
    ("48", "E", "土木工程建筑业", "Civil engineering"),
    ("49", "E", "建筑安装业", "Building installation"),
    ("50", "E", "建筑装饰、装修和其他建筑业", "Building decoration and other construction"),
    ("51", "F", "批发业", "Wholesale trade"),
    ("52", "F", "零售业", "Retail trade"),
    ("53", "G", "铁路运输业", "Railway transport"),
    ("54", "G", "道路运输业", "Road transport"),
    ("55", "G", "水上运输业", "Water transport"),
    ("56", "G", "航空运输业", "Air transport"),
    ("57", "G", "管道运输业", "Pipeline transport"),
    ("58", "G", "多式联运和运输代理业", "Multimodal transport and forwarding"),
    ("59", "G", "装卸搬运和仓储业", "Handling and warehousing"),
    ("60", "G", "邮政业", "Postal services"),
    ("61", "H", "住宿业", "Accommodation"),
    ("62", "H", "餐饮业", "Catering"),
    ("63", "I", "电信、广播电视和卫星传输服务", "Telecommunications, broadcasting and satellite transmission"),
    ("64", "I", "互联网和相关服务", "Internet and related services"),
    ("65", "I", "软件和信息技术服务业", "Software and IT services"),
    ("66", "J", "货币金融服务", "Monetary and financial services"),
    ("67", "J", "资本市场服务", "Capital market services"),
    ("68", "J", "保险业", "Insurance"),
    ("69", "J", "其他金融业", "Other financial services"),
    ("70", "K", "房地产业", "Real estate"),
    ("71", "L", "租赁业", "Leasing"),
    ("72", "L", "商务服务业", "Business services"),
    ("73", "M", "研究和试验发展", "Research and experimental development"),
    ("74", "M", "专业技术服务业", "Professional technical services"),
    ("75", "M", "科技推广和应用服务业", "Technology promotion and application services"),
    ("76", "N", "水利管理业", "Water management"),
    ("77", "N", "生态保护和环境治理业", "Ecological protection and environmental management"),
    ("78", "N", "公共设施管理业", "Public facilities management"),
    ("79", "N", "土地管理业", "Land management"),
    ("80", "O", "居民服务业", "Residential services"),
    ("81", "O", "机动车、电子产品和日用产品修理业", "Repair of vehicles, electronics and household goods"),
    ("82", "O", "其他服务业", "Other services"),
    ("83", "P", "教育", "Education"),
    ("84", "Q", "卫生", "Health"),
    ("85", "Q", "社会工作", "Social work"),
    ("86", "R", "新闻和出版业", "News and publishing"),
    ("87", "R", "广播、电视、电影和录音制作业", "Broadcasting, film and sound recording"),
    ("88", "R", "文化艺术业", "Culture and arts"),
    ("89", "R", "体育", "Sports"),
    ("90", "R", "娱乐业", "Entertainment"),
    ("91", "S", "中国共产党机关", "Organs of the Communist Party of China"),
    ("92", "S", "国家机构", "State organs"),
    ("93", "S", "人民政协、民主党派", "CPPCC and democratic parties"),
    ("94", "S", "社会保障", "Social security"),
    ("95", "S", "群众团体、社会团体和其他成员组织", "Mass organisations and other membership organisations"),
    ("96", "S", "基层群众自治组织及其他组织", "Community self-governing organisations"),
    ("97", "T", "国际组织", "International organisations"),
]

DIVISIONS: dict[str, Division] = {code: Division(code, sec, zh, en) for code, sec, zh, en in _DIVISIONS}


def section_name(code: str) -> str:
    zh, en = SECTIONS[code]
    return pick(zh, en)


def section_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} {section_name(code)}") for code in SECTIONS]


def division_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Divisions grouped by section, for a <select> with <optgroup>s (evaluated per request: language)."""
    grouped: list[tuple[str, list[tuple[str, str]]]] = []
    for section in SECTIONS:
        options = [(d.code, f"{d.code} {d.name}") for d in DIVISIONS.values() if d.section == section]
        grouped.append((f"{section} {section_name(section)}", options))
    return grouped


def find_division(text: str) -> Division | None:
    """A division from an import cell: its code ("17", "C17") or its Chinese or English name."""
    value = (text or "").strip()
    if not value:
        return None
    candidate = value[1:] if len(value) == 3 and value[0].isalpha() else value
    if candidate.zfill(2) in DIVISIONS and candidate.isdigit():
        return DIVISIONS[candidate.zfill(2)]
    lowered = value.lower()
    for division in DIVISIONS.values():
        if value == division.name_zh or lowered == division.name_en.lower():
            return division
    return None
