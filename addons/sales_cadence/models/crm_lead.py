from odoo import api, fields, models
from odoo.tools import SQL

# Engagement events, each counted on the lead and weighted by its company
ENGAGEMENT_EVENTS = ("email_sent", "email_opened", "email_clicked", "sms_sent", "sms_clicked", "inbound_call")


class CrmLead(models.Model):
    _inherit = "crm.lead"

    cadence_enrollment_ids = fields.One2many("sales.cadence.enrollment", "lead_id", string="Cadences")
    cadence_enrollment_count = fields.Integer(
        string="Cadence Count", compute="_compute_cadence_enrollment_count"
    )
    engagement_score = fields.Integer(
        readonly=True,
        copy=False,
        index=True,
        aggregator="avg",
        help="Points for each e-mail sent, opened and clicked, each SMS sent and link clicked in an "
        "SMS, and each inbound call, weighted as the company's CRM settings say.",
    )
    engagement_email_sent = fields.Integer("E-mails Sent", readonly=True, copy=False)
    engagement_email_opened = fields.Integer("E-mails Opened", readonly=True, copy=False)
    engagement_email_clicked = fields.Integer("E-mails Clicked", readonly=True, copy=False)
    engagement_sms_sent = fields.Integer("SMS Sent", readonly=True, copy=False)
    engagement_sms_clicked = fields.Integer("SMS Clicked", readonly=True, copy=False)
    engagement_inbound_call = fields.Integer("Inbound Calls", readonly=True, copy=False)

    def _compute_cadence_enrollment_count(self):
        counts = dict(
            self.env["sales.cadence.enrollment"]._read_group(
                [("lead_id", "in", self.ids)], ["lead_id"], ["__count"]
            )
        )
        for lead in self:
            lead.cadence_enrollment_count = counts.get(lead, 0)

    def write(self, vals):
        result = super().write(vals)
        if "stage_id" in vals:
            self.env["sales.cadence.workflow"]._run(
                "stage_changed",
                self,
                match=lambda workflow, lead: workflow.stage_id in (lead.stage_id, False),
            )
        return result

    def action_open_cadences(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sales_cadence.sales_cadence_enrollment_action"
        )
        return {**action, "domain": [("lead_id", "=", self.id)], "context": {"default_lead_id": self.id}}

    def action_log_inbound_call(self):
        """The lead called: it shows on its chatter and counts for its score."""
        self._message_log_batch({lead.id: self.env._("Inbound call.") for lead in self})
        self._engagement_add("inbound_call")

    # ------------------------------------------------------------
    # ENGAGEMENT SCORE
    # ------------------------------------------------------------

    def _engagement_add(self, event, counts=None):
        """Count ``event`` (one of ENGAGEMENT_EVENTS) for the leads of ``self``,
        ``counts`` times each ({lead id: n}, once by default), and add its
        weight to their score: one UPDATE for all, which adds to what is
        there, so that two events at once both count. The leads whose score
        so reaches a workflow's threshold start it."""
        assert event in ENGAGEMENT_EVENTS
        counts = counts or dict.fromkeys(self.ids, 1)
        if not counts:
            return
        weights = {
            lead.id: (lead.company_id or self.env.company)._engagement_weights()[event] for lead in self
        }
        column = SQL.identifier(f"engagement_{event}")
        self.flush_recordset([f"engagement_{event}", "engagement_score"])
        self.env.cr.execute(
            SQL(
                """
                UPDATE crm_lead AS lead
                   SET %(column)s = COALESCE(lead.%(column)s, 0) + v.n,
                       engagement_score = COALESCE(lead.engagement_score, 0) + v.n * v.weight
                  FROM (VALUES %(rows)s) AS v(id, n, weight)
                 WHERE lead.id = v.id
             RETURNING lead.id, lead.engagement_score, v.n * v.weight
                """,
                column=column,
                rows=SQL(", ").join(
                    SQL("(%s, %s, %s)", lead_id, n, weights.get(lead_id, 0)) for lead_id, n in counts.items()
                ),
            )
        )
        scores = {lead_id: (score - added, score) for lead_id, score, added in self.env.cr.fetchall()}
        self.invalidate_recordset([f"engagement_{event}", "engagement_score"])
        leads = self.browse(list(scores))
        self.env["sales.cadence.workflow"]._run(
            "score_above",
            leads,
            match=lambda workflow, lead: scores[lead.id][0] < workflow.score_threshold <= scores[lead.id][1],
        )

    @api.model
    def _engagement_recompute(self, companies):
        """The score of every lead of ``companies`` with their new weights."""
        self.flush_model([f"engagement_{event}" for event in ENGAGEMENT_EVENTS])
        for company in companies:
            weights = company._engagement_weights()
            self.env.cr.execute(
                SQL(
                    "UPDATE crm_lead SET engagement_score = %s WHERE company_id = %s",
                    SQL(" + ").join(
                        SQL("COALESCE(%s, 0) * %s", SQL.identifier(f"engagement_{event}"), weights[event])
                        for event in ENGAGEMENT_EVENTS
                    ),
                    company.id,
                )
            )
        self.invalidate_model(["engagement_score"])

    # ------------------------------------------------------------
    # EVENTS
    # ------------------------------------------------------------

    def _message_post_after_hook(self, message, msg_vals):
        """A reply from the lead stops its automatic steps: a person now talks to it."""
        result = super()._message_post_after_hook(message, msg_vals)
        if message.message_type == "email" and message.author_id and not message.author_id.user_ids:
            enrollments = self.cadence_enrollment_ids.filtered(lambda e: e.state in ("active", "paused"))
            self.env["sales.cadence.workflow"].sudo()._run("reply", self, enrollments=enrollments)
            enrollments.sudo().date_replied = message.date
            if enrollments:
                automatic = self.env["sales.cadence.step.type"].search(
                    [("code", "in", ("auto_email", "auto_sms"))]
                )
                enrollments.sudo()._skip_from_now(automatic, self.env._("The lead replied."))
        return result

    def _cadence_webhook(self, action, payload):
        """Convert or disqualify the lead for an outside tool; it leaves its cadences.

        :return: what was done, for the caller
        """
        self.ensure_one()
        self.cadence_enrollment_ids._stop()
        if action == "convert":
            if self.type == "lead":
                self.convert_opportunity(self.partner_id)
            return self.env._("Lead %(lead)s converted to an opportunity.", lead=self.id)
        reason = self.env["crm.lost.reason"].search(
            [("name", "=ilike", str(payload.get("reason") or ""))], limit=1
        )
        self.action_set_lost(lost_reason_id=reason.id)
        return self.env._("Lead %(lead)s disqualified.", lead=self.id)
