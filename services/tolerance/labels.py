"""Tolerance's codes, with their Chinese and English labels (DOMAIN.md T). The ten exemptable situations
carry, besides a short label, the policy's own sentence (seeds/001, 《关于建立容错纠错机制激励干部担当
作为的实施办法》), in its order; their qualifying conditions are ``rules.SITUATION_CONDITIONS``."""

from services.common.labels import family
from services.tolerance import decide, rules

LABELS = {
    "exemptable_situation": family(rules.SITUATIONS, {
        "REFORM_EXPLORATION": (
            "改革探索中出现探索性失误", "Exploratory error in reform",
            "在推进全面创新改革试验、国家自主创新示范区建设、自贸区建设、国资国企改革、文化体制改革等全面深化"
            "改革过程中，因政策不明确或缺乏经验出现探索性失误的"),
        "INVESTMENT_AND_TALENT": (
            "招商引资、招才引智中出现失误或偏差", "Error in attracting investment or talent",
            "在推进招商引资、招才引智等工作中，经过集体决策给予政策优惠的，或因主动作为、积极担当、创新性开展"
            "工作出现一定失误或偏差的"),
        "INDUSTRY_SUPPORT": (
            "支持产业发展未取得预期效益", "Industry support without the expected return",
            "在推进产业发展中，为支持民营经济发展、促进科技创新，因企制宜给予企业财政资金支持或政策优惠，但因"
            "市场风险或其他不可预见因素未取得预期成果和效益的"),
        "URBAN_CONSTRUCTION": (
            "城市建设、征地拆迁等大胆推进中出现失误", "Error while pushing urban construction",
            "在推进“四水共治”、城市亮点区块、“三旧”改造、征地拆迁、筹资融资、基础设施和产业项目建设中，为抢抓"
            "时机、节约资源而大胆履职、大力推进，造成一定失误或引发矛盾的"),
        "STREAMLINED_SERVICE": (
            "容缺受理、容缺审批", "Accepting or approving with documents to follow",
            "在深化“放管服”改革优化政务服务环境中，为提高效率、方便企业和群众而进行容缺受理、容缺审批，事后积极"
            "催促行政相对人补齐手续的"),
        "LEGACY_PROBLEMS": (
            "化解历史遗留难题采取超常规措施", "Extraordinary measures for legacy problems",
            "在解决工程项目、信访积案、争议事件等历史遗留难题中，采取必要的临时性、超常规措施化解矛盾，带来一定"
            "政策风险的，或在有关规定不明的情况下作出决策，实施后与后出台的政策规定不一致的"),
        "EMERGENCY_RESPONSE": (
            "处置突发应急事件出现失误", "Error in an emergency response",
            "在维护社会稳定、处理突发应急事件中，果断决策、及时处置，出现一定失误，事后积极主动消除影响和挽回损失的"),
        "BOLD_APPOINTMENT": (
            "大胆使用敢于担当的干部", "Bold appointment of a cadre who takes responsibility",
            "在干部选拔任用工作中，对勇于改革创新、敢于担当负责、积极干事创业，但在工作方法、个人性格等方面存在"
            "不足，民主推荐、民主测评得票结果没有真实反映其干事创业状况的干部，敢于从事业发展需要出发大胆使用的"),
        "ADAPTIVE_IMPLEMENTATION": (
            "对上级部署进行必要调整取得更好效果", "Adapting a directive, with better results",
            "在推动发展和改善民生过程中，结合本地区、本部门具体实际和情况的变化，实事求是地对上级统一部署要求或"
            "原定方案进行必要调整，在实践中取得更好效果的"),
        "OTHER_APPROVED": (
            "经认定需要容错的其他情形", "Other situation approved for tolerance",
            "在市委、市政府权限内经认定需要容错的其他情形"),
    }),
    "tolerance_condition": family((*rules.CONDITIONS, rules.NO_MAJOR_LOSS), {
        "NO_PROHIBITION_VIOLATED": ("未违反法律法规的禁止性规定", "No prohibition violated"),
        "DECISION_PROCEDURE_FOLLOWED": ("经过相应的决策程序", "Decision procedure followed"),
        "DILIGENT": ("勤勉尽责", "Diligent"),
        "NO_PRIVATE_GAIN": ("未谋取私利", "No private gain"),
        "NO_MALICIOUS_COLLUSION": ("未与他人恶意串通", "No malicious collusion"),
        "PROACTIVE_RECTIFICATION": ("主动检查整改", "Proactive rectification"),
        "SITUATION_CONDITION": ("符合所列情形的条件", "The situation's own condition holds"),
        "NO_MAJOR_LOSS": ("未造成重大损失和社会负面影响（旧版）",
                          "No major loss or negative impact (first version)"),
    }),
    "loss_level": family(rules.LOSS_LEVELS, {
        "NONE": ("未造成损失", "No loss"),
        "SOME": ("一定负面影响和损失", "Some loss or negative impact"),
        "MAJOR": ("重大损失和社会负面影响", "Major loss and negative social impact"),
    }),
    "assessment_factor": family(rules.FACTORS, {
        "MOTIVE_ATTITUDE": ("动机态度", "Motive and attitude"),
        "OBJECTIVE_CONDITIONS": ("客观条件", "Objective conditions"),
        "PROCEDURE_METHOD": ("程序方法", "Procedure and method"),
        "NATURE_DEGREE": ("性质程度", "Nature and degree"),
        "CONSEQUENCES": ("后果影响", "Consequences"),
        "LOSS_RECOVERY": ("挽回损失", "Loss recovered"),
    }),
    "factor_rating": family(rules.RATINGS, {
        "FAVOURABLE": ("有利", "Favourable"),
        "NEUTRAL": ("中性", "Neutral"),
        "UNFAVOURABLE": ("不利", "Unfavourable"),
    }),
    "tolerance_outcome": family(rules.OUTCOMES, {
        "EXEMPTED": ("免除相关责任", "Exempted"),
        "MITIGATED": ("从轻、减轻处理", "Mitigated"),
        "REJECTED": ("不予容错", "Rejected"),
    }),
    "work_section": family((decide.RULING_TO_APPROVE, decide.APPLICATION_IN_REVIEW,
                            decide.MEASURE_OVERDUE), {
        "RULING_TO_APPROVE": ("待审批的容错纠错认定", "Rulings to approve"),
        "APPLICATION_IN_REVIEW": ("待核实认定的容错纠错申请", "Applications to review"),
        "MEASURE_OVERDUE": ("逾期未完成的整改措施", "Corrective measures overdue"),
    }),
    "application_status": family((rules.FILED, rules.UNDER_REVIEW, rules.RULED), {
        "FILED": ("已申请", "Filed"),
        "UNDER_REVIEW": ("核实认定中", "Under review"),
        "RULED": ("已认定", "Ruled"),
    }),
}
