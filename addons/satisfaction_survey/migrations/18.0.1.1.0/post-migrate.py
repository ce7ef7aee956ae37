"""Webhook calls moved to the outbox's queue (followup.webhook): the calls
still to send or failed are queued there, with their attempts so far."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    cr.execute(
        """
        SELECT 1 FROM information_schema.columns
         WHERE table_name = 'survey_user_input' AND column_name = 'webhook_attempt_count'
        """
    )
    if not cr.fetchone():
        return
    cr.execute(
        """
        SELECT id, webhook_state, webhook_attempt_count, webhook_error, date_webhook
          FROM survey_user_input
         WHERE webhook_state IN ('pending', 'failed') AND webhook_id IS NULL AND campaign_id IS NOT NULL
        """
    )
    rows = cr.fetchall()
    env = api.Environment(cr, SUPERUSER_ID, {})
    Answer = env["survey.user_input"]
    for answer_id, state, attempts, error, date_next in rows:
        answer = Answer.browse(answer_id)
        call = answer._satisfaction_queue_webhook()
        if call:
            call.write(
                {
                    "state": state,
                    "attempt_count": attempts or 0,
                    "error_message": error,
                    "date_next": date_next,
                }
            )
            answer.webhook_id = call
