from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class FollowupDunningPlan(models.Model):
    """Ordered steps to chase a customer's unpaid invoices. The plan says
    what to do and when ideally; its send policy (working days, holidays,
    caps) says when its messages may actually leave."""

    _name = "followup.dunning.plan"
    _description = "Dunning Plan"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    step_ids = fields.One2many("followup.dunning.step", "plan_id", string="Steps", copy=True)
    policy_id = fields.Many2one(
        "followup.policy",
        string="Send Policy",
        required=True,
        check_company=True,
        default=lambda self: self.env.company.followup_policy_id,
        help="Working days, holidays and caps of the automatic messages.",
    )
    min_delay_days = fields.Integer(
        string="Minimum Delay (days)",
        default=5,
        help="Minimum time between two actions to the same customer: an automatic "
        "action due sooner is postponed to respect it.",
    )
    send_hour = fields.Float(
        default=9.0,
        help="Time of day at which the automatic actions of a day leave, in the time zone of the "
        "send policy's working calendar.",
    )
    dunning_count = fields.Integer(string="Customers", compute="_compute_dunning_count")

    _sql_constraints = [
        ("min_delay_positive", "CHECK(min_delay_days >= 0)", "The minimum delay cannot be negative."),
    ]

    @api.constrains("send_hour")
    def _check_send_hour(self):
        for plan in self:
            if not 0 <= plan.send_hour < 24:
                raise ValidationError(
                    self.env._("The send hour of %(plan)s must be between 00:00 and 23:59.", plan=plan.name)
                )

    def _compute_dunning_count(self):
        counts = dict(
            self.env["followup.dunning"]._read_group(
                [("plan_id", "in", self.ids), ("state", "!=", "done")], ["plan_id"], ["__count"]
            )
        )
        for plan in self:
            plan.dunning_count = counts.get(plan, 0)

    def action_open_dunnings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("customer_followup.followup_dunning_action")
        action["domain"] = [("plan_id", "=", self.id)]
        action["context"] = {"search_default_in_progress": 1}
        return action

    def _step_moment(self, step, reference):
        """UTC time at which ``step`` is due for ``reference``: its day at
        the plan's send hour, in the time zone of the plan's working calendar."""
        self.ensure_one()
        return self._send_hour_of(step._trigger_date(reference))

    def _send_hour_of(self, day):
        """UTC time of the plan's send hour on ``day``, in its calendar's time zone."""
        hours, minutes = divmod(round(self.send_hour * 60), 60)
        local = self._tz().localize(datetime.combine(day, time(hours, minutes)))
        return local.astimezone(pytz.utc).replace(tzinfo=None)

    def _at_send_hour(self, moment):
        """The first send hour of the plan at or after the UTC time ``moment``."""
        self.ensure_one()
        day = pytz.utc.localize(moment).astimezone(self._tz()).date()
        at = self._send_hour_of(day)
        return at if at >= moment else self._send_hour_of(day + timedelta(days=1))

    def _tz(self):
        return pytz.timezone(self.policy_id.resource_calendar_id.tz or self.company_id.partner_id.tz or "UTC")
