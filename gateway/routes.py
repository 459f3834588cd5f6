"""Every HTTP endpoint that forwards to a service, in one table.

The gateway builds its handlers, the OpenAPI document and the permission matrix check from this table,
so an endpoint cannot exist without being documented and tested for every role. Request bodies and
responses are the owning service's own marshmallow schemas.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from marshmallow import Schema

from services.accountability.schemas import (
    AllowedSanctionsSchema,
    ApproveDecisionSchema,
    CaseMoveSchema,
    CaseSchema,
    ComplaintSchema,
    DismissCaseSchema,
    FileComplaintSchema,
    ListCasesSchema,
    OpenCaseSchema,
    OpenComplaintsSchema,
    ProposeDecisionSchema,
    RecordOutsideSanctionSchema,
    ReportLineSchema,
    ResolveComplaintSchema,
    SanctionsQuerySchema,
    VerifyCaseSchema,
)
from services.accountability.schemas import (
    ReportYearSchema as DemotionReportSchema,
)
from services.appraisal.schemas import (
    AmendResultSchema,
    CadreResultSchema,
    CadreResultsQuerySchema,
    ChangeParticipantSchema,
    CommendationSchema,
    CommendSchema,
    CreateQuotaGroupSchema,
    CycleSchema,
    GradeUnitSchema,
    ListCommendationsSchema,
    ListCyclesSchema,
    ListQuotaGroupsSchema,
    ListUnitGradesSchema,
    OpenCycleSchema,
    QuotaGroupSchema,
    QuotaSchema,
    RecordGradeSchema,
    RecordGradesSchema,
    UnitGradeSchema,
    YearQuotasSchema,
)
from services.care.schemas import (
    ApplyHardshipSchema,
    ApproveHardshipSchema,
    CompleteTalkSchema,
    CompletionSchema,
    DueVisitSchema,
    DueVisitsQuerySchema,
    FamilySchema,
    FundSchema,
    HardshipApplicationSchema,
    HealthCheckSchema,
    LeaveSchema,
    ListFamiliesSchema,
    ListHardshipSchema,
    ListHealthChecksSchema,
    ListTalksSchema,
    OpenTalkSchema,
    PendingHardshipSchema,
    RecordHealthCheckSchema,
    RecordLeaveSchema,
    RecordVisitSchema,
    ReferralSchema,
    ReferralsQuerySchema,
    ReferSupportSchema,
    RegisterFamilySchema,
    RejectHardshipSchema,
    ReportYearSchema,
    RequestTalkSchema,
    SetBudgetSchema,
    TalkSchema,
    UntakenLeaveSchema,
)
from services.common.paging import PageQuerySchema
from services.talent.schemas import (
    AllocateSchema,
    AllocationLineSchema,
    AssessNominationSchema,
    CadreSchema,
    CadreViewSchema,
    ChangePostingSchema,
    CreateProgrammeSchema,
    EligibilitySchema,
    ExitPoolSchema,
    ImportReportSchema,
    ImportRosterSchema,
    ListCadresSchema,
    ListProgrammesSchema,
    ListUnitsSchema,
    NominateSchema,
    PlaceInPostSchema,
    PoolEntrySchema,
    PoolQuerySchema,
    ProgrammeSchema,
    RotationEntrySchema,
    RotationQuerySchema,
    SelectionSchema,
    UnitSchema,
    UpdateCadreSchema,
    YoungCadreSchema,
    YoungCadresSchema,
)
from services.tolerance.schemas import (
    AllowedOutcomesSchema,
    ApplicationSchema,
    ApproveRulingSchema,
    AssessSchema,
    CompleteMeasureSchema,
    FileApplicationSchema,
    ListApplicationsSchema,
    OverdueMeasureSchema,
    OverdueMeasuresSchema,
    ProposeRulingSchema,
    StartReviewSchema,
)

# a werkzeug rule's variable: <name>, <string:name>, <int(fixed_digits=4):year>
PATH_PARAM = r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>"
# a year in a path beside a record's id (/appraisal/commendations/2026, /appraisal/commendations/<id>):
# four digits, which an id is never taken for
YEAR_BESIDE_IDS = "<int(fixed_digits=4):year>"


@dataclass(frozen=True)
class Route:
    name: str                           # unique; the handler's name and the OpenAPI operationId
    method: str                         # GET, POST ...
    path: str                           # werkzeug rule, e.g. /cadres/<string:cadre_id>
    service: str                        # the service that owns the data
    rpc: str                            # its RPC method; path values and the body are its arguments
    summary: str
    body: type[Schema] | None = None    # the RPC's request schema; path values are taken out of it
    response: type[Schema] | None = None
    status: int = 200
    many: bool = False                  # the response is a list of ``response``
    query: type[Schema] | None = None   # the RPC's request schema, its fields as query parameters
    max_body_bytes: int | None = None   # the body limit here, instead of the configured MAX_BODY_BYTES
    # creates something: an Idempotency-Key header goes to the RPC as its client key (safe retries)
    idempotent: bool = False

    @property
    def path_params(self) -> list[str]:
        return re.findall(PATH_PARAM, self.path)

    @property
    def paged(self) -> bool:
        """A list a page at a time: ``cursor`` and ``limit`` in, Link and X-Total-Count out."""
        return self.many and self.query is not None and issubclass(self.query, PageQuerySchema)

    @property
    def openapi_path(self) -> str:
        return re.sub(PATH_PARAM, r"{\1}", self.path)


# a real organisation's roster is thousands of rows: the import takes bodies up to 8 MiB, just above the
# 8,000,000 characters ImportRosterSchema accepts (every other endpoint keeps MAX_BODY_BYTES)
ROSTER_IMPORT_MAX_BODY_BYTES = 8 * 1024 * 1024

ROUTES: tuple[Route, ...] = (
    Route("register_unit", "POST", "/units", "talent", "register_unit",
          "Register a unit of the roster", body=UnitSchema, response=UnitSchema, status=201, idempotent=True),
    Route("list_units", "GET", "/units", "talent", "list_units",
          "The roster's units by id, optionally of one type (a unit administrator sees their own)",
          query=ListUnitsSchema, response=UnitSchema, many=True),
    Route("get_unit", "GET", "/units/<string:unit_id>", "talent", "get_unit", "A unit of the roster",
          response=UnitSchema),
    Route("register_cadre", "POST", "/cadres", "talent", "register_cadre",
          "Register a cadre in a unit", body=CadreSchema, response=CadreSchema, status=201, idempotent=True),
    Route("list_cadres", "GET", "/cadres", "talent", "list_cadres",
          "The roster, by cadre id, optionally of one unit (a unit administrator names their own)",
          query=ListCadresSchema, response=CadreViewSchema, many=True),
    Route("get_cadre", "GET", "/cadres/<string:cadre_id>", "talent", "get_cadre",
          "A cadre's roster record, with its revision and selection status",
          response=CadreViewSchema),
    Route("update_cadre", "PATCH", "/cadres/<string:cadre_id>", "talent", "update_cadre",
          "Change a cadre's roster facts (the fields sent); the revision goes up and the whole "
          "record is published (a move to another unit is a posting)", body=UpdateCadreSchema,
          response=CadreViewSchema),
    Route("get_eligibility", "GET", "/cadres/<string:cadre_id>/eligibility", "talent",
          "get_eligibility", "Whether and with what priority a cadre may be promoted, with reasons "
          "(L-3)", response=EligibilitySchema),
    Route("start_selection", "POST", "/cadres/<string:cadre_id>/selection", "talent",
          "start_selection", "Put a cadre under consideration for selection: complaints against "
          "them are expedited (C-5)", body=SelectionSchema, response=CadreViewSchema),
    Route("end_selection", "POST", "/cadres/<string:cadre_id>/selection/end", "talent",
          "end_selection", "End a cadre's consideration for selection (C-5)", body=SelectionSchema,
          response=CadreViewSchema),
    Route("change_posting", "POST", "/cadres/<string:cadre_id>/postings", "talent",
          "change_posting", "Post a cadre to another unit (exchange and rotation, L-6): recorded and "
          "announced, care opens a JOB_ADJUSTMENT talk (K-1)", body=ChangePostingSchema,
          response=CadreViewSchema),
    Route("import_roster", "POST", "/roster/imports", "talent", "import_roster",
          "Import a roster from CSV (header: the cadre's fields); every row is checked first and "
          "nothing is imported if any is wrong; cadres already registered with the same facts are "
          "left alone", body=ImportRosterSchema, response=ImportReportSchema,
          max_body_bytes=ROSTER_IMPORT_MAX_BODY_BYTES),
    Route("rotation_list", "GET", "/talent/rotation", "talent", "rotation_list",
          "Leading cadres who must (10 years or more in post) or should (5 or more) rotate, and cadres "
          "long in grassroots posts with an EXCELLENT or a commendation listed for priority exchange; "
          "per unit, longest in post first (交流轮岗, L-7; a unit administrator names their own unit)",
          query=RotationQuerySchema, response=RotationEntrySchema, many=True),
    Route("young_cadres", "GET", "/talent/young-cadres", "talent", "young_cadres",
          "Cadres under the configured age, youngest first (L-4; a unit administrator names their "
          "own unit)", query=YoungCadresSchema, response=YoungCadreSchema, many=True),
    Route("get_pool", "GET", "/talent/pool", "talent", "get_pool",
          "The lion-type pool as things stand, by status, young cadres first (L-1, L-2, L-4)",
          query=PoolQuerySchema, response=PoolEntrySchema, many=True),
    Route("get_pool_entry", "GET", "/talent/pool/<string:cadre_id>", "talent", "get_pool_entry",
          "One cadre's place in the lion-type pool, for their profile; status null when never "
          "nominated (L-1, L-2)", response=PoolEntrySchema),
    Route("nominate", "POST", "/talent/pool/<string:cadre_id>/nomination", "talent", "nominate",
          "Nominate a cadre for the lion-type pool, with evidence for each of the five standards "
          "and, for bureau levels, the level profile (L-1)", body=NominateSchema,
          response=PoolEntrySchema),
    Route("assess_nomination", "POST", "/talent/pool/<string:cadre_id>/assessment", "talent",
          "assess_nomination", "Assess a nomination against the five standards (and the level "
          "profile's items): RESERVE when all hold, NOT_ADMITTED otherwise (L-1)",
          body=AssessNominationSchema, response=PoolEntrySchema),
    Route("place_in_post", "POST", "/talent/pool/<string:cadre_id>/placement", "talent",
          "place_in_post", "Place a reserve cadre in a demanding post (吃劲岗位, L-1)",
          body=PlaceInPostSchema, response=PoolEntrySchema),
    Route("exit_pool", "POST", "/talent/pool/<string:cadre_id>/exit", "talent", "exit_pool",
          "Take a cadre out of the pool for decline or health, with evidence (L-2 b, c)",
          body=ExitPoolSchema, response=PoolEntrySchema),
    Route("create_programme", "POST", "/talent/programmes", "talent", "create_programme",
          "Create an incentive training programme with its seats (L-5)",
          body=CreateProgrammeSchema, response=ProgrammeSchema, status=201, idempotent=True),
    Route("list_programmes", "GET", "/talent/programmes", "talent", "list_programmes",
          "Incentive training programmes, the latest created first, by year and name (L-5)",
          query=ListProgrammesSchema, response=ProgrammeSchema, many=True),
    Route("get_programme", "GET", "/talent/programmes/<string:programme_id>", "talent",
          "get_programme", "An incentive training programme with its seats and, once allocated, "
          "its allocation (L-5)", response=ProgrammeSchema),
    Route("allocate_programme", "POST", "/talent/programmes/<string:programme_id>/allocation",
          "talent", "allocate_programme", "Allocate a programme's seats among the candidates, "
          "priority cadres first in the stated order, each told why (L-5); once per programme",
          body=AllocateSchema, response=AllocationLineSchema, many=True),
    Route("open_cycle", "POST", "/appraisal/cycles", "appraisal", "open_cycle",
          "Open an appraisal cycle for a unit, year and kind", body=OpenCycleSchema,
          response=CycleSchema, status=201, idempotent=True),
    Route("list_cycles", "GET", "/appraisal/cycles", "appraisal", "list_cycles",
          "Appraisal cycles, the latest opened first, by unit, year, kind and state (a unit "
          "administrator sees their own unit's)", query=ListCyclesSchema, response=CycleSchema,
          many=True),
    Route("get_cycle", "GET", "/appraisal/cycles/<string:cycle_id>", "appraisal", "get_cycle",
          "An appraisal cycle with its results", response=CycleSchema),
    Route("record_grade", "POST", "/appraisal/cycles/<string:cycle_id>/grades", "appraisal",
          "record_grade", "Record (or, while open, change) a cadre's grade",
          body=RecordGradeSchema, response=CycleSchema),
    Route("record_grades", "POST", "/appraisal/cycles/<string:cycle_id>/grades/batch", "appraisal",
          "record_grades", "Record up to 1,000 grades of a cycle at once, checked in order as one "
          "grade each; if one is refused none is recorded, and the refusal names its row",
          body=RecordGradesSchema, response=CycleSchema),
    Route("change_participant", "POST", "/appraisal/cycles/<string:cycle_id>/participants",
          "appraisal", "change_participant", "Add a cadre of the unit to an annual cycle's "
          "participants, remove one, or mark one not rated (不确定等次), with the reason; a grade they "
          "had goes with them (A-1)", body=ChangeParticipantSchema, response=CycleSchema),
    Route("finalize_cycle", "POST", "/appraisal/cycles/<string:cycle_id>/finalize", "appraisal",
          "finalize_cycle", "Finalize a cycle once every participant has a grade, within its quota "
          "(its quota group's, if pooled): results become immutable and are published (A-1)",
          response=CycleSchema),
    Route("create_quota_group", "POST", "/appraisal/quota-groups", "appraisal",
          "create_quota_group", "Pool the open annual cycles of several units of one year into one "
          "quota group (合并计算, A-1)", body=CreateQuotaGroupSchema, response=QuotaGroupSchema,
          status=201, idempotent=True),
    Route("list_quota_groups", "GET", "/appraisal/quota-groups", "appraisal", "list_quota_groups",
          "Quota groups, the latest first, by year, state and name, each with its sheet (A-1)",
          query=ListQuotaGroupsSchema, response=QuotaGroupSchema, many=True),
    Route("get_quota_group", "GET", "/appraisal/quota-groups/<string:group_id>", "appraisal",
          "get_quota_group", "A quota group's sheet: the pooled quota by pool, and each unit's "
          "share (A-1)", response=QuotaGroupSchema),
    Route("amend_result", "POST", "/appraisal/cycles/<string:cycle_id>/amendments", "appraisal",
          "amend_result", "Correct a finalized result, with the reason; the history is kept and the "
          "consequences are republished", body=AmendResultSchema, response=CycleSchema),
    Route("get_cadre_results", "GET", "/appraisal/cadres/<string:cadre_id>/results", "appraisal",
          "get_cadre_results", "A cadre's finalized results with the reasons: the appraisal's "
          "comment and any amendment (A-7), the latest year first", query=CadreResultsQuerySchema,
          response=CadreResultSchema, many=True),
    Route("commend", "POST", "/appraisal/commendations", "appraisal", "commend",
          "Award a merit citation or a commendation for a deed (A-8)", body=CommendSchema,
          response=CommendationSchema, status=201, idempotent=True),
    Route("search_commendations", "GET", "/appraisal/commendations", "appraisal",
          "list_commendations", "Commendations, the latest year first and in a year the typical "
          "examples first, by year, cadre, unit and kind (A-8)", query=ListCommendationsSchema,
          response=CommendationSchema, many=True),
    Route("list_commendations", "GET", f"/appraisal/commendations/{YEAR_BESIDE_IDS}", "appraisal",
          "list_commendations", "The year's commendations, typical examples first (A-8)",
          query=ListCommendationsSchema, response=CommendationSchema, many=True),
    Route("get_commendation", "GET", "/appraisal/commendations/<string:commendation_id>",
          "appraisal", "get_commendation", "A commendation (A-8)", response=CommendationSchema),
    Route("grade_unit", "POST", "/appraisal/unit-grades", "appraisal", "grade_unit",
          "Record a unit's performance grade for a year (MERIT / PASS / FAIL: A-2, A-3, A-4)",
          body=GradeUnitSchema, response=UnitGradeSchema, status=201, idempotent=True),
    Route("list_unit_grades", "GET", "/appraisal/unit-grades", "appraisal", "list_unit_grades",
          "Units' performance grades, the latest year first, by unit, year and grade (a unit "
          "administrator sees their own unit's)", query=ListUnitGradesSchema,
          response=UnitGradeSchema, many=True),
    Route("year_quotas", "GET", "/appraisal/quotas/<string:year>", "appraisal", "year_quotas",
          "The year's quota sheet: every unit with an annual cycle, by unit, each pool's EXCELLENT "
          "quota and its use, and the quota group's when pooled (A-1)", query=YearQuotasSchema,
          response=QuotaSchema, many=True),
    Route("get_unit_quota", "GET", "/appraisal/units/<string:unit_id>/quotas/<string:year>",
          "appraisal", "get_unit_quota",
          "A unit's quota sheet for a year's annual appraisal: each pool's EXCELLENT quota and its use, "
          "and its quota group's when pooled (A-1)",
          response=QuotaSchema),
    Route("open_case", "POST", "/accountability/cases", "accountability", "open_case",
          "Open an accountability case against a leading cadre, naming the situations (C-1)",
          body=OpenCaseSchema, response=CaseSchema, status=201, idempotent=True),
    Route("record_outside_sanction", "POST", "/accountability/outside-sanctions", "accountability",
          "record_outside_sanction", "Record a sanction decided outside accountability (a discipline "
          "inspection decision) with its reference: it restricts promotion and posts the same (C-7), "
          "exits the lion-type pool (L-2a) and bars the year's EXCELLENT (A-6)",
          body=RecordOutsideSanctionSchema, response=CaseSchema, status=201, idempotent=True),
    Route("list_cases", "GET", "/accountability/cases", "accountability", "list_cases",
          "Accountability cases, newest first, by cadre and state", query=ListCasesSchema,
          response=CaseSchema, many=True),
    Route("get_case", "GET", "/accountability/cases/<string:case_id>", "accountability", "get_case",
          "An accountability case with its history, proposal and decision", response=CaseSchema),
    Route("start_investigation", "POST", "/accountability/cases/<string:case_id>/investigation",
          "accountability", "start_investigation", "Start investigating an open case (C-1)",
          body=CaseMoveSchema, response=CaseSchema),
    Route("verify_case", "POST", "/accountability/cases/<string:case_id>/verification",
          "accountability", "verify_case", "Record the verified findings of an investigation (C-1)",
          body=VerifyCaseSchema, response=CaseSchema),
    Route("dismiss_case", "POST", "/accountability/cases/<string:case_id>/dismissal", "accountability",
          "dismiss_case", "Dismiss a case that is not verified, with the reason (C-1)",
          body=DismissCaseSchema, response=CaseSchema),
    Route("allowed_sanctions", "POST", "/accountability/cases/<string:case_id>/allowed-sanctions",
          "accountability", "allowed_sanctions", "The sanction sets a decision on the case may carry "
          "for a severity, public outcry and bad impact, each with its rule (C-2, C-3, C-4); "
          "changes nothing", body=SanctionsQuerySchema, response=AllowedSanctionsSchema),
    Route("propose_decision", "POST", "/accountability/cases/<string:case_id>/proposal",
          "accountability", "propose_decision", "Propose the decision on a verified case, within the "
          "sanction ladder (C-2, C-3, C-4); another officer approves it", body=ProposeDecisionSchema,
          response=CaseSchema),
    Route("approve_decision", "POST", "/accountability/cases/<string:case_id>/approval",
          "accountability", "approve_decision", "Approve the proposed decision (four eyes: not its "
          "proposer), naming the proposal read; the sanction is decided and published with its "
          "promotion ban", body=ApproveDecisionSchema, response=CaseSchema),
    Route("close_case", "POST", "/accountability/cases/<string:case_id>/closure", "accountability",
          "close_case", "Close a decided case (C-1)", body=CaseMoveSchema, response=CaseSchema),
    Route("file_complaint", "POST", "/accountability/complaints", "accountability", "file_complaint",
          "File a complaint (信访举报) against a cadre, named or anonymous; expedited while the cadre "
          "is under selection (C-5)", body=FileComplaintSchema, response=ComplaintSchema, status=201,
          idempotent=True),
    Route("open_complaints", "GET", "/accountability/complaints", "accountability", "open_complaints",
          "Complaints not resolved yet with their deadlines, the earliest (most overdue) first (C-5)",
          query=OpenComplaintsSchema, response=ComplaintSchema, many=True),
    Route("get_complaint", "GET", "/accountability/complaints/<string:complaint_id>", "accountability",
          "get_complaint", "A complaint; its reporter is shown to discipline officers only (C-5)",
          response=ComplaintSchema),
    Route("resolve_complaint", "POST", "/accountability/complaints/<string:complaint_id>/resolution",
          "accountability", "resolve_complaint", "Resolve a complaint: SUBSTANTIATED opens a case, "
          "REPEAT closes it, FALSE_ACCUSATION refers the reporter, GROUNDLESS clears the cadre (C-5)",
          body=ResolveComplaintSchema, response=ComplaintSchema),
    Route("demotion_report", "GET", "/accountability/reports/demotions/<string:year>", "accountability",
          "demotion_report", "The year's leading cadres moved down, per type and unit: organisational "
          "handlings decided and downward postings by cause; with the cadres named, or "
          "published=true for the counts alone (C-6)", query=DemotionReportSchema,
          response=ReportLineSchema, many=True),
    Route("file_application", "POST", "/tolerance/applications", "tolerance", "file_application",
          "File a fault-tolerance application for a cadre: one of the ten situations, the facts and "
          "optionally the accountability case it answers, which is held until the ruling (T-1, C-4)",
          body=FileApplicationSchema, response=ApplicationSchema, status=201, idempotent=True),
    Route("list_applications", "GET", "/tolerance/applications", "tolerance", "list_applications",
          "Fault-tolerance applications, newest first, by cadre and state (a unit administrator or "
          "a cadre names the cadre)", query=ListApplicationsSchema, response=ApplicationSchema,
          many=True),
    Route("get_application", "GET", "/tolerance/applications/<string:application_id>", "tolerance",
          "get_application", "A fault-tolerance application with its assessment, proposal, ruling, "
          "measures and history", response=ApplicationSchema),
    Route("start_review", "POST", "/tolerance/applications/<string:application_id>/review",
          "tolerance", "start_review", "Start reviewing a filed application (T-1)",
          body=StartReviewSchema, response=ApplicationSchema),
    Route("assess", "POST", "/tolerance/applications/<string:application_id>/assessment",
          "tolerance", "assess", "Record conditions (holds, with evidence) and assessment factors (a "
          "rating, with a note) of an application under review; a code recorded again replaces the "
          "earlier record (T-2..T-5)", body=AssessSchema, response=ApplicationSchema),
    Route("allowed_outcomes", "GET",
          "/tolerance/applications/<string:application_id>/allowed-outcomes", "tolerance",
          "allowed_outcomes", "The outcomes the recorded conditions allow, each with its rules, and "
          "what is still to be assessed (T-2..T-5); changes nothing", response=AllowedOutcomesSchema),
    Route("propose_ruling", "POST", "/tolerance/applications/<string:application_id>/proposal",
          "tolerance", "propose_ruling", "Propose the ruling on an application under review, within "
          "the outcomes the rules allow, with corrective measures for EXEMPTED or MITIGATED (T-5, "
          "T-7); another officer approves it", body=ProposeRulingSchema, response=ApplicationSchema),
    Route("approve_ruling", "POST", "/tolerance/applications/<string:application_id>/approval",
          "tolerance", "approve_ruling", "Approve the proposed ruling that was read (four eyes: not "
          "its proposer); the application is RULED and the ruling published (T-6, C-4)",
          body=ApproveRulingSchema, response=ApplicationSchema),
    Route("complete_measure", "POST",
          "/tolerance/applications/<string:application_id>/measures/<string:measure_id>/completion",
          "tolerance", "complete_measure", "Record a corrective measure of a ruling as done, with what "
          "was done (T-7)", body=CompleteMeasureSchema, response=ApplicationSchema),
    Route("overdue_measures", "GET", "/tolerance/measures/overdue", "tolerance", "overdue_measures",
          "Corrective measures not done by their deadline, the most overdue first (T-7)",
          query=OverdueMeasuresSchema, response=OverdueMeasureSchema, many=True),
    Route("request_talk", "POST", "/care/talks/requests", "care", "request_talk",
          "A cadre asks for a talk for themselves (SELF_REQUESTED 干部主动约谈, K-1); while it is "
          "open, asking again returns it", body=RequestTalkSchema, response=TalkSchema, status=201,
          idempotent=True),
    Route("open_talk", "POST", "/care/talks", "care", "open_talk",
          "Open a must-talk for a cadre (MAJOR_SETBACK, JOB_ADJUSTMENT, EARLY_WARNING), due in the "
          "configured days; one open per cadre and reason: opening again returns it (K-1)",
          body=OpenTalkSchema, response=TalkSchema, status=201, idempotent=True),
    Route("get_talk", "GET", "/care/talks/<string:talk_id>", "care", "get_talk",
          "A must-talk as it stands (K-1; a cadre reads their own)", response=TalkSchema),
    Route("list_talks", "GET", "/care/talks", "care", "list_talks",
          "Must-talks, newest first, by cadre and status; overdue: the open ones past their due "
          "date, most overdue first (K-1; a cadre names themselves)", query=ListTalksSchema,
          response=TalkSchema, many=True),
    Route("complete_talk", "POST", "/care/talks/<string:talk_id>/completion", "care",
          "complete_talk", "Record an open talk as held, with what was said and agreed (K-1)",
          body=CompleteTalkSchema, response=TalkSchema),
    Route("list_health_checks", "GET", "/care/health-checks", "care", "list_health_checks",
          "Health checks recorded, the latest year first, by unit, cadre and year (K-2; a unit "
          "administrator sees their own unit's)", query=ListHealthChecksSchema,
          response=HealthCheckSchema, many=True),
    Route("record_health_check", "POST", "/care/health-checks", "care", "record_health_check",
          "Record a cadre's yearly health check, to the standard the roster calls for (ENHANCED for "
          "long grassroots and hardship service); one a year (K-2)", body=RecordHealthCheckSchema,
          response=HealthCheckSchema, status=201, idempotent=True),
    Route("health_completion", "GET", "/care/units/<string:unit_id>/health-checks/<string:year>",
          "care", "health_completion", "A unit's health checks for a year: who was checked, to which "
          "standard, who is missing (K-2)", response=CompletionSchema),
    Route("leave_entitlement", "GET", "/care/cadres/<string:cadre_id>/leave/<string:year>", "care",
          "leave_entitlement", "A cadre's paid leave in a year: entitled by years of service, taken, "
          "remaining (K-3)", response=LeaveSchema),
    Route("record_leave", "POST", "/care/leave", "care", "record_leave",
          "Record paid leave taken by a cadre; more than is left in the year is refused (K-3)",
          body=RecordLeaveSchema, response=LeaveSchema),
    Route("untaken_leave_report", "GET", "/care/leave/untaken/<string:year>", "care",
          "untaken_leave_report", "Cadres with paid leave untaken in a year, leading cadres first "
          "(领导干部带头, K-3; a unit administrator names their own unit)", query=ReportYearSchema,
          response=UntakenLeaveSchema, many=True),
    Route("refer_support", "POST", "/care/referrals", "care", "refer_support",
          "Refer a cadre to psychological support; what it says is read by care officers only (K-4)",
          body=ReferSupportSchema, response=ReferralSchema, status=201, idempotent=True),
    Route("list_referrals", "GET", "/care/cadres/<string:cadre_id>/referrals", "care",
          "list_referrals", "A cadre's psychological support referrals, newest first: care officers "
          "only (K-4)", query=ReferralsQuerySchema, response=ReferralSchema, many=True),
    Route("set_fund_budget", "POST", "/care/fund/budget", "care", "set_fund_budget",
          "Set a year's hardship fund budget (yuan, at most two decimals); not below what was "
          "granted (K-5)", body=SetBudgetSchema, response=FundSchema),
    Route("apply_hardship", "POST", "/care/hardship-applications", "care", "apply_hardship",
          "Apply to the hardship fund for a cadre: natural disaster, major illness or major incident "
          "(K-5)", body=ApplyHardshipSchema, response=HardshipApplicationSchema, status=201, idempotent=True),
    Route("list_hardship_applications", "GET", "/care/hardship-applications", "care",
          "list_hardship_applications", "Hardship applications, the latest filed first, by cadre, "
          "unit, year and state (K-5)", query=ListHardshipSchema,
          response=HardshipApplicationSchema, many=True),
    Route("pending_hardship", "GET", "/care/hardship-applications/pending", "care", "pending_hardship",
          "Hardship applications waiting for a decision, oldest first (K-5)",
          query=PendingHardshipSchema, response=HardshipApplicationSchema, many=True),
    Route("approve_hardship", "POST", "/care/hardship-applications/<string:application_id>/approval",
          "care", "approve_hardship", "Approve a pending application with the amount granted from "
          "its year's fund: paid exactly once, the balance never negative; care.hardship_granted "
          "opens a MAJOR_SETBACK talk (K-5, K-1)", body=ApproveHardshipSchema,
          response=HardshipApplicationSchema),
    Route("reject_hardship", "POST", "/care/hardship-applications/<string:application_id>/rejection",
          "care", "reject_hardship", "Reject a pending application, with the reason (K-5)",
          body=RejectHardshipSchema, response=HardshipApplicationSchema),
    Route("fund_ledger", "GET", "/care/fund/<string:year>", "care", "fund_ledger",
          "A year's hardship fund: budget, granted, balance and the ledger line by line with its "
          "running balance (K-5)", response=FundSchema),
    Route("get_hardship_application", "GET", "/care/hardship-applications/<string:application_id>",
          "care", "get_hardship_application", "A hardship application as it stands (K-5)",
          response=HardshipApplicationSchema),
    Route("list_families", "GET", "/care/families", "care", "list_families",
          "Bereaved families, the latest registered first, with the next visit due (K-6)",
          query=ListFamiliesSchema, response=FamilySchema, many=True),
    Route("get_family", "GET", "/care/families/<string:family_id>", "care", "get_family",
          "A bereaved family with its visits and the next one due (K-6)", response=FamilySchema),
    Route("register_family", "POST", "/care/families", "care", "register_family",
          "Register the family of a cadre who died on duty (因公殉职), with its dependants and how "
          "often it is visited; once per cadre (K-6)", body=RegisterFamilySchema,
          response=FamilySchema, status=201, idempotent=True),
    Route("record_visit", "POST", "/care/families/<string:family_id>/visits", "care",
          "record_visit", "Record a condolence visit to a bereaved family (定期慰问, K-6)",
          body=RecordVisitSchema, response=FamilySchema),
    Route("due_visits", "GET", "/care/families/due-visits", "care", "due_visits",
          "Bereaved families whose visit is overdue or due within 30 days, the most urgent first "
          "(K-6)", query=DueVisitsQuerySchema, response=DueVisitSchema, many=True),
)
