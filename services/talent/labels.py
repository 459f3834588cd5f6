"""Talent's codes, with their Chinese and English labels: the roster's shared vocabulary (unit types,
levels, staff categories), postings (L-6, C-6), eligibility (L-3), the lion-type pool (L-1, L-2) and
training priority (L-5)."""

from services.common.labels import family
from services.talent import decide, rules

LABELS = {
    "unit_type": family(rules.UNIT_TYPES, {
        "DISTRICT": ("区", "District"),
        "STREET_TOWNSHIP": ("街道（乡镇）", "Street office (township)"),
        "CITY_DEPARTMENT": ("市直部门", "City department"),
        "STATE_ENTERPRISE": ("市属国有企业", "City state-owned enterprise"),
        "PUBLIC_INSTITUTION": ("事业单位", "Public institution"),
    }),
    "level": family(rules.LEVELS, {
        "BUREAU_PRINCIPAL": ("市管正局级", "Bureau principal (city-managed)"),
        "BUREAU_DEPUTY": ("市管副局级", "Bureau deputy (city-managed)"),
        "DIVISION": ("处级", "Division level"),
        "SECTION": ("科级", "Section level"),
        "STAFF": ("其他", "Other staff"),
    }),
    "staff_category": family(rules.STAFF_CATEGORIES, {
        "CIVIL_SERVANT": ("公务员", "Civil servant"),
        "PUBLIC_INSTITUTION_STAFF": ("事业单位工作人员", "Public institution staff"),
        "ENTERPRISE_MANAGER": ("国有企业经营管理人员", "State enterprise manager"),
        "OTHER": ("其他", "Other"),
    }),
    "posting_kind": family(rules.POSTING_KINDS, {
        "INSTITUTIONAL": ("制度性交流", "Institutional exchange"),
        "REGULATORY": ("规范性交流", "Regulatory exchange"),
        "ALLOCATION": ("配置性交流", "Allocative exchange"),
        "DEVELOPMENTAL": ("培养性交流", "Developmental exchange"),
        "SECONDMENT": ("上挂外派", "Secondment"),
    }),
    "posting_direction": family(rules.DIRECTIONS, {
        "UP": ("上", "Up"),
        "LATERAL": ("平级", "Lateral"),
        "DOWN": ("下", "Down"),
    }),
    "down_cause": family(rules.DOWN_CAUSES, {
        "UNFIT_FOR_POST": ("不适宜担任现职", "Unfit for the current post"),
        "DEMOTION": ("降职", "Demotion"),
        "OTHER": ("其他", "Other"),
    }),
    "eligibility_effect": family((
        rules.SELECTION_PRIORITY, rules.TRAINING_PRIORITY, rules.PROMOTION_BAN,
        rules.LEADERSHIP_POST_BAN, rules.HIGHER_POST_BAN, rules.NO_PRIORITY_PROMOTION,
        rules.RESTRICTION_LIFTED), {
        "SELECTION_PRIORITY": ("选拔任用优先考虑", "Priority in selection"),
        "TRAINING_PRIORITY": ("优先调训", "Priority in training"),
        "PROMOTION_BAN": ("不得提拔", "No promotion"),
        "LEADERSHIP_POST_BAN": ("不得安排领导职务", "No leadership post"),
        "HIGHER_POST_BAN": ("不得担任高于原任职务层次的领导职务", "No post above the former level"),
        "NO_PRIORITY_PROMOTION": ("不得优先提拔", "No priority promotion"),
        "RESTRICTION_LIFTED": ("限制已解除", "Restriction lifted"),
    }),
    "selection_status": family((decide.NOT_IN_SELECTION, decide.IN_SELECTION), {
        "NOT_IN_SELECTION": ("未在考察", "Not under selection"),
        "IN_SELECTION": ("拟提拔考察中", "Under selection"),
    }),
    "standard": family(rules.STANDARDS, {
        "LOYAL_AND_CLEAN": ("忠诚干净", "Loyal and clean"),
        "OPEN_MINDED": ("思想解放", "Open-minded"),
        "RESOURCEFUL_AND_CAPABLE": ("善谋能干", "Resourceful and capable"),
        "TAKES_RESPONSIBILITY": ("敢于担当", "Takes responsibility"),
        "OUTSTANDING_RESULTS": ("实绩突出", "Outstanding results"),
    }),
    "profile_item": family(tuple(item for items in rules.PROFILES.values() for item in items), {
        "COMMANDS_THE_WHOLE": ("善于驾驭全局", "Commands the whole"),
        "DECIDES_DECISIVELY": ("敢于拍板决断", "Decides decisively"),
        "BUILDS_AND_LEADS_TEAMS": ("善于带队伍", "Builds and leads teams"),
        "HOLDS_OWN_GROUND": ("能够独当一面", "Holds their own ground"),
        "STRONG_EXECUTION": ("执行力强", "Strong execution"),
        "BACKBONE_ROLE": ("发挥骨干作用", "Plays a backbone role"),
        "CLEAR_THINKING": ("思路清晰", "Clear thinking"),
        "TACKLES_HARD_PROBLEMS": ("敢啃硬骨头", "Tackles hard problems"),
        "DELIVERS": ("干事有成效", "Delivers"),
    }),
    "pool_status": family((rules.NOMINATED, rules.RESERVE, rules.IN_USE, rules.EXITED,
                           rules.NOT_ADMITTED), {
        "NOMINATED": ("已推荐", "Nominated"),
        "RESERVE": ("储备", "In reserve"),
        "IN_USE": ("已使用", "In a demanding post"),
        "EXITED": ("已退出", "Exited"),
        "NOT_ADMITTED": ("未入库", "Not admitted"),
    }),
    "exit_cause": family((rules.EXIT_SANCTION, rules.EXIT_DECLINE, rules.EXIT_HEALTH), {
        "SANCTION": ("受到处分或组织处理", "Sanctioned"),
        "DECLINE": ("思想滑坡、动力不足、状态不佳或能力不适应", "Decline"),
        "HEALTH": ("身体原因不能正常履职", "Health"),
    }),
    "training_priority": family(rules.PRIORITY_ORDER, {
        "EXCELLENT_APPRAISAL": ("考核优秀", "EXCELLENT in an appraisal"),
        "GRASSROOTS_WITH_RESULTS": ("长期在基层一线且实绩突出", "Long at the grassroots, with results"),
        "NONE": ("无", "None"),
    }),
    "work_section": family((decide.NOMINATION_TO_ASSESS, decide.ROTATION_DUE,
                            decide.MY_ELIGIBILITY), {
        "NOMINATION_TO_ASSESS": ("待考察的“狮子型”干部推荐", "Nominations to assess"),
        "ROTATION_DUE": ("应交流轮岗的干部", "Cadres due to rotate"),
        "MY_ELIGIBILITY": ("我的选拔任用资格", "My eligibility"),
    }),
    "rotation": family((rules.MUST_ROTATE, rules.SHOULD_ROTATE, rules.PRIORITY_EXCHANGE), {
        "MUST": ("必须交流", "Must rotate"),
        "SHOULD": ("应当交流", "Should rotate"),
        "PRIORITY_EXCHANGE": ("优先考虑交流", "Listed for priority exchange"),
    }),
}
