"""Care: care for cadres (DOMAIN.md K).

For now the service runs with its own database and answers ``health``; its rules arrive with its
own issue, on the same chassis as appraisal and talent.
"""

from services.common.outbox import Outbox
from services.common.service import ServiceBase
from services.common.store import MongoStore


class CareService(ServiceBase):
    name = "care"

    store = MongoStore()
    outbox = Outbox()
