from . import followup_outbox_preview
