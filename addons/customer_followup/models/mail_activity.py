from odoo import models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _action_done(self, feedback=False, attachment_ids=None):
        """Marking the activity of a manual dunning action done, from the
        activity view, validates the action: the dunning goes on."""
        action_ids = [a.res_id for a in self if a.res_model == "followup.dunning.action"]
        result = super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
        if action_ids:
            actions = self.env["followup.dunning.action"].browse(action_ids).exists()
            actions.filtered(lambda a: a.state == "to_do" and a.user_id == self.env.user)._close("done")
        return result
