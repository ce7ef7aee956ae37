from odoo import fields, models


class MailNotification(models.Model):
    """Odoo writes here what becomes of every e-mail and SMS: sent by the
    mail queue, delivered by the SMS provider, bounced through the mail
    gateway, failed with a failure type. The outbox follows its rows from it."""

    _inherit = "mail.notification"

    failure_type = fields.Selection(
        selection_add=[("mail_too_big", "Message too big")], ondelete={"mail_too_big": "set null"}
    )

    def write(self, vals):
        res = super().write(vals)
        if "notification_status" in vals:
            self.env["followup.dispatch"]._track_notifications(self)
        return res
