"""Accountability: cases, the sanction ladder and complaints (DOMAIN.md C).

For now the service runs with its own database and answers ``health``; its rules arrive with its
own issue, on the same chassis as appraisal and talent.
"""

from services.common.outbox import Outbox
from services.common.service import ServiceBase
from services.common.store import MongoStore


class AccountabilityService(ServiceBase):
    name = "accountability"

    store = MongoStore()
    outbox = Outbox()
