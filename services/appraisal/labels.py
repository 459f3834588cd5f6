"""Appraisal's codes, with their Chinese and English labels (DOMAIN.md A)."""

from services.appraisal import decide, rules
from services.common.labels import family

LABELS = {
    "appraisal_kind": family(rules.KINDS, {
        "ANNUAL": ("年度考核", "Annual appraisal"),
        "SPECIAL": ("专项考核", "Special appraisal"),
        "REGULAR": ("平时考核", "Regular appraisal"),
    }),
    "grade": family(rules.GRADES, {
        "EXCELLENT": ("优秀", "Excellent"),
        "COMPETENT": ("称职", "Competent"),
        "BASICALLY_COMPETENT": ("基本称职", "Basically competent"),
        "INCOMPETENT": ("不称职", "Incompetent"),
    }),
    "unit_grade": family(rules.UNIT_GRADES, {
        "MERIT": ("立功", "Merit"),
        "PASS": ("达标", "Pass"),
        "FAIL": ("不合格", "Fail"),
    }),
    "cycle_status": family((rules.OPEN, rules.FINALIZED), {
        "OPEN": ("进行中", "Open"),
        "FINALIZED": ("已确定", "Finalized"),
    }),
    "quota_pool": family(rules.POOLS, {
        "DEFAULT": ("一般比例（15%）", "Default pool (15%)"),
        "STREET_CIVIL_SERVANT": ("街道（乡镇）公务员（20%）", "Street civil servants (20%)"),
    }),
    "participant_change": family(rules.PARTICIPANT_CHANGES, {
        "ADD": ("增加参加考核人员", "Added to the participants"),
        "REMOVE": ("移出参加考核人员", "Removed from the participants"),
        "NOT_RATED": ("不确定等次", "Not rated"),
    }),
    "quota_group_state": family((rules.FORMING, rules.FORMED, rules.ABANDONED), {
        "FORMING": ("合并中", "Forming"),
        "FORMED": ("已合并计算", "Pooled"),
        "ABANDONED": ("未成立", "Abandoned"),
    }),
    "commendation_kind": family(rules.COMMENDATION_KINDS, {
        "MERIT_CITATION": ("记功", "Merit citation"),
        "COMMENDATION": ("嘉奖", "Commendation"),
        "OUTSTANDING_PARTY_MEMBER": ("优秀共产党员", "Outstanding Party member"),
        "PEOPLE_SATISFIED_CIVIL_SERVANT": ("人民满意的公务员", "Civil servant the people are satisfied with"),
    }),
    "work_section": family((decide.OPEN_CYCLE, decide.MY_RESULT), {
        "OPEN_CYCLE": ("待完成的考核（未评等次、待确定）", "Open appraisal: grades missing, to finalize"),
        "MY_RESULT": ("我的考核结果", "My appraisal results"),
    }),
    "deed_kind": family(rules.DEED_KINDS, {
        "EMERGENCY_HANDLING": ("处理突发事件", "Handling an emergency"),
        "HIGHER_SUPPORT_WON": ("争取上级支持", "Winning higher-level support"),
        "MAJOR_WORK": ("承担重要工作", "Undertaking major work"),
        "OTHER": ("其他", "Other"),
    }),
}
