"""Imports every domain's tables so that Base.metadata (and Alembic) sees them all."""
from civicloop.auth.models import ApiToken, RateWindow  # noqa: F401
from civicloop.categories.models import Category  # noqa: F401
from civicloop.cases.models import Attachment, Case, CaseAssist, CaseEvent, CaseSearch  # noqa: F401
from civicloop.db import Base  # noqa: F401
from civicloop.departments.models import Department, RoutingRule  # noqa: F401
from civicloop.ops.models import Lease  # noqa: F401
from civicloop.regions.models import GridCell, Region  # noqa: F401
from civicloop.sla.models import CalendarDay  # noqa: F401
from civicloop.users.models import User  # noqa: F401
import civicloop.intake.models  # noqa: F401,E402
import civicloop.addresses.models  # noqa: F401,E402
import civicloop.notify.models  # noqa: F401,E402
import civicloop.commitments.models  # noqa: F401,E402
import civicloop.assess.models  # noqa: F401,E402
