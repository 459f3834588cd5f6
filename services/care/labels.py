"""Care's codes, with their Chinese and English labels (DOMAIN.md K)."""

from services.care import decide, rules
from services.common.labels import family

LABELS = {
    "talk_reason": family(rules.TALK_REASONS, {
        "JOB_ADJUSTMENT": ("岗位调整", "Job adjustment"),
        "MAJOR_SETBACK": ("遭遇重大挫折", "Major setback"),
        "EARLY_WARNING": ("发现苗头性问题", "Early warning"),
        "SELF_REQUESTED": ("干部主动约谈", "Requested by the cadre"),
    }),
    "talk_status": family((rules.OPEN, rules.DONE), {
        "OPEN": ("待谈话", "Open"),
        "DONE": ("已谈话", "Done"),
    }),
    "health_check_standard": family((rules.STANDARD, rules.ENHANCED), {
        "STANDARD": ("常规体检", "Standard"),
        "ENHANCED": ("加强体检", "Enhanced"),
    }),
    "hardship_reason": family(rules.HARDSHIP_REASONS, {
        "NATURAL_DISASTER": ("遭受自然灾害", "Natural disaster"),
        "MAJOR_ILLNESS": ("患重大疾病", "Major illness"),
        "MAJOR_INCIDENT": ("遭遇重大变故", "Major incident"),
    }),
    "hardship_status": family((rules.PENDING, rules.APPROVED, rules.REJECTED), {
        "PENDING": ("待审批", "Pending"),
        "APPROVED": ("已批准", "Approved"),
        "REJECTED": ("未批准", "Rejected"),
    }),
    "ledger_entry": family(("BUDGET", "GRANT"), {
        "BUDGET": ("年度预算", "Yearly budget"),
        "GRANT": ("困难帮扶金", "Hardship grant"),
    }),
    "ledger_direction": family(rules.LEDGER_DIRECTIONS, {
        "IN": ("收入", "In"),
        "OUT": ("支出", "Out"),
    }),
    "relation": family(rules.RELATIONS, {
        "SPOUSE": ("配偶", "Spouse"),
        "CHILD": ("子女", "Child"),
        "ELDER": ("父母等长辈", "Parent or elder"),
    }),
    "work_section": family((decide.TALK_DUE, decide.HARDSHIP_PENDING, decide.VISIT_DUE,
                            decide.HEALTH_CHECKS_MISSING, decide.MY_LEAVE), {
        "TALK_DUE": ("待开展的谈心谈话", "Talks due"),
        "HARDSHIP_PENDING": ("待审批的困难帮扶申请", "Hardship applications pending"),
        "VISIT_DUE": ("待走访慰问的家庭", "Condolence visits due"),
        "HEALTH_CHECKS_MISSING": ("今年尚未体检的干部", "Health checks missing this year"),
        "MY_LEAVE": ("我的带薪休假", "My paid leave"),
    }),
    "visit_status": family(("DUE", "OVERDUE"), {
        "DUE": ("即将到期", "Due soon"),
        "OVERDUE": ("已逾期", "Overdue"),
    }),
}
