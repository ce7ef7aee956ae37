from . import followup_rule_bulk_edit
