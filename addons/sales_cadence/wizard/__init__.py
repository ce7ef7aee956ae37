from . import sales_cadence_enroll
from . import sales_cadence_skip
