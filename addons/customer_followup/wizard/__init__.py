from . import followup_outbox_preview
from . import followup_rule_bulk_edit
