"""Accountability's codes, with their Chinese and English labels (DOMAIN.md C). The 17 inaction
situations carry, besides a short label, the policy's own sentence (seeds/001, 《武汉市领导干部不担当
不作为问责办法（试行）》), in its order."""

from services.accountability import decide, rules
from services.common.labels import family

LABELS = {
    "inaction_situation": family(rules.SITUATIONS, {
        "PROSPERITY_1": (
            "推进中心任务、重点工作不力", "Weak drive on the central tasks and key work",
            "不愿担当负责，不敢直面矛盾，不能较真碰硬，推进党委、政府中心任务、重点工作不力，造成严重后果的"),
        "PROSPERITY_2": (
            "安于现状，考评排名靠后或出现重大失误", "Complacency: ranked low, or a major error",
            "不能主动作为、有效履职，工作安于现状，造成单位工作或者分管工作在绩效考评或专项考核中排名靠后，"
            "或者工作出现重大失误的"),
        "PROSPERITY_3": (
            "共同办理事项推诿扯皮", "Buck-passing on joint matters",
            "对由几个地区或者部门共同办理的事项，主办地区或者部门不主动牵头协调，协办地区或者部门不积极配合，"
            "推诿扯皮，致使工作延误或造成重大损失的"),
        "PROSPERITY_4": (
            "对破坏发展环境、生态环境的违法行为不制止不查处",
            "Not stopping violations against the development environment or ecology",
            "对影响经济社会发展环境、破坏生态环境等违法行为不制止、不查处，受到上级通报批评或造成严重后果的"),
        "REFORM_1": (
            "重点改革项目推进不力", "Weak drive on key reform projects",
            "对承担或者参与中央和省、市重点改革项目不重视，对改革研究不深、部署不够、把关不严、督察不力，"
            "致使改革成效不明显或者未按期完成改革任务的"),
        "REFORM_2": (
            "不主动谋划改革，改革工作长期滞后", "No reform initiative: reform long behind",
            "不善于用改革创新思维思考问题，不主动探索、谋划改革，致使单位改革工作长期滞后的"),
        "REFORM_3": (
            "改革协同配合不够、推诿扯皮", "Poor coordination in reform, buck-passing",
            "对改革系统性、整体性、协同性认识不到位，在推进改革过程中通盘考虑、协同配合不够，单纯考虑部门利益，"
            "推诿扯皮，致使改革工作延误的"),
        "REFORM_4": (
            "改革推进不力，群众获得感不强", "Reform that leaves the people little gain",
            "因改革工作推进不力，人民群众对改革事项的评价不高、获得感不强，被群众多次投诉、被新闻媒体负面报道"
            "或者被上级部门通报批评，造成严重影响的"),
        "RULE_OF_LAW_1": (
            "维稳职责履行不力，发生重大涉稳事件", "Stability duties neglected: a major incident",
            "不认真履行维护稳定职责，或者在职责范围内监管不力、处置不当，本辖区本单位发生重大涉稳事故、事件、"
            "案件，造成严重社会后果的"),
        "RULE_OF_LAW_2": (
            "急难险重任务面前拒不接受或临阵退缩", "Refusing or retreating from urgent, hard tasks",
            "在面临急难险重任务和事关国家利益、人民生命财产安全等关键时刻，拒不接受任务或者临阵退缩的"),
        "RULE_OF_LAW_3": (
            "处置突发事件不敢决策、处置失当", "Indecision in an emergency, mishandled",
            "在维护社会稳定、处理突发事件中，怕担责任，不敢果断决策，导致处置失当，造成事态扩大和恶劣影响的"),
        "RULE_OF_LAW_4": (
            "群众合法诉求未解决或承诺未兑现", "Lawful demands unanswered, promises unkept",
            "无正当合理理由，对群众反映的合法诉求在规定时间内未予解决或答复，或者对群众作出的承诺未能兑现，"
            "受到上级通报批评或被投诉经查实的"),
        "PARTY_GOVERNANCE_1": (
            "党的领导弱化，决策部署落实不到位", "Weakened Party leadership, decisions not carried out",
            "党的领导弱化，对党中央及省委、市委决策部署传达贯彻不及时，措施不得力、落实不到位，受到上级通报批评的"),
        "PARTY_GOVERNANCE_2": (
            "党的建设缺失，选人用人问题突出", "Party building neglected, appointment problems",
            "党的建设缺失，党内政治生活不正常，组织生活不健全，民主集中制执行落实不力，干部选拔任用工作中问题突出，"
            "干部群众反映强烈的"),
        "PARTY_GOVERNANCE_3": (
            "从严治党不力，主体责任、监督责任落实不到位", "Lax Party governance and oversight",
            "全面从严治党不力，主体责任、监督责任落实不到位，意识形态工作责任制落实不到位，管党治党失之于宽松软，"
            "党内监督乏力，该发现的问题未发现，发现问题不报告不处置、不整改不问责，造成严重后果的"),
        "PARTY_GOVERNANCE_4": (
            "维护党的纪律不力，违规违纪问题多发", "Discipline not upheld, violations frequent",
            "维护党的纪律不力，特别是维护政治纪律和政治规矩失职，导致本区本单位违规违纪问题多发，造成恶劣影响的"),
        "PARTY_GOVERNANCE_5": (
            "党风廉政建设不力，腐败问题突出", "Weak integrity work, corruption prominent",
            "推进党风廉政建设和反腐败工作不坚决、不扎实，管辖范围内腐败蔓延势头未得到有效遏制，"
            "损害群众利益不正之风和腐败问题突出的"),
    }),
    "case_source": family((*rules.SOURCES, rules.OUTSIDE_DECISION), {
        "INSPECTION": ("督查检查", "Inspection"),
        "SPECIAL_ASSESSMENT": ("专项考核", "Special assessment"),
        "COMPLAINT": ("信访举报", "Complaint"),
        "APPRAISAL_FAIL": ("单位考评不合格", "Unit graded FAIL"),
        "OTHER": ("其他", "Other"),
        "OUTSIDE_DECISION": ("纪检监察机关等外部决定", "Decision made outside (discipline inspection)"),
    }),
    "case_state": family(rules.STATES, {
        "OPEN": ("已立案", "Open"),
        "INVESTIGATING": ("调查中", "Investigating"),
        "VERIFIED": ("已核实", "Verified"),
        "DECIDED": ("已决定", "Decided"),
        "CLOSED": ("已结案", "Closed"),
        "DISMISSED": ("已撤销", "Dismissed"),
    }),
    "case_outcome": family((rules.SANCTIONED, rules.EXEMPTED, rules.NOT_VERIFIED, rules.CLEARED), {
        "SANCTIONED": ("已问责", "Sanctioned"),
        "EXEMPTED": ("免责", "Exempted"),
        "DISMISSED": ("未查实", "Not verified"),
        "CLEARED": ("澄清正名", "Cleared"),
    }),
    "severity": family(rules.SEVERITIES, {
        "MINOR": ("情节较轻", "Minor"),
        "SERIOUS": ("情节较重", "Serious"),
    }),
    "sanction": family(rules.SANCTIONS, {
        "CRITICISM_EDUCATION": ("批评教育", "Criticism and education"),
        "CIRCULATED_CRITICISM": ("通报", "Circulated criticism"),
        "ADMONISHMENT": ("诫勉", "Admonishment"),
        "TRANSFER": ("调离岗位", "Transfer from the post"),
        "NON_LEADERSHIP_POST": ("改任非领导职务", "Moved to a non-leadership post"),
        "RESIGNATION_FOR_FAULT": ("引咎辞职", "Resignation for fault"),
        "ORDERED_RESIGNATION": ("责令辞职", "Ordered resignation"),
        "REMOVAL": ("免职", "Removal from office"),
        "DEMOTION": ("降职", "Demotion"),
        "DISCIPLINARY": ("党纪政务处分", "Party or administrative discipline"),
    }),
    "restriction_kind": family(rules.RESTRICTION_KINDS, {
        "NO_PROMOTION": ("不得提拔或者重用", "No promotion"),
        "NO_LEADERSHIP_POST": ("不得安排领导职务", "No leadership post"),
        "NO_HIGHER_POST": ("不得担任高于原任职务层次的领导职务", "No post above the former level"),
    }),
    "complaint_status": family((rules.FILED, rules.RESOLVING, rules.RESOLVED), {
        "FILED": ("已受理", "Filed"),
        "RESOLVING": ("办理中", "Being resolved"),
        "RESOLVED": ("已办结", "Resolved"),
    }),
    "complaint_outcome": family(rules.COMPLAINT_OUTCOMES, {
        "SUBSTANTIATED": ("反映属实", "Substantiated"),
        "REPEAT": ("重复举报", "Repeat of a concluded matter"),
        "FALSE_ACCUSATION": ("诬告陷害", "False accusation"),
        "GROUNDLESS": ("反映不实", "Groundless"),
    }),
    "work_section": family((decide.DECISION_TO_APPROVE, decide.CASE_IN_HAND,
                            decide.COMPLAINT_DUE), {
        "DECISION_TO_APPROVE": ("待审批的问责处理意见", "Decisions to approve"),
        "CASE_IN_HAND": ("办理中的问责案件", "Cases in hand"),
        "COMPLAINT_DUE": ("待办结的信访举报", "Complaints due"),
    }),
    "demotion_handling": family(tuple(f"POSTING_{cause}" for cause in rules.DOWN_CAUSES), {
        "POSTING_UNFIT_FOR_POST": ("调整：不适宜担任现职", "Posted down: unfit for the post"),
        "POSTING_DEMOTION": ("调整：降职", "Posted down: demotion"),
        "POSTING_OTHER": ("调整：其他", "Posted down: other"),
    }),
}
