import math
import secrets
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.customer_followup.models.bulk_write import create_rows
from odoo.addons.customer_followup.models.followup_dispatch import SENT_STATES

UNITS = [("minutes", "Minutes"), ("hours", "Hours"), ("days", "Days")]
INVITATION = "invitation"
REMINDER = "reminder:%s"


def nps_interval(promoters, passives, detractors, z=1.96):
    """(NPS, margin): the Net Promoter Score of the counts and the half-width
    of its 95% confidence interval (normal approximation of the difference
    of two proportions of one multinomial sample), both in points."""
    count = promoters + passives + detractors
    if not count:
        return 0.0, 0.0
    share_promoters, share_detractors = promoters / count, detractors / count
    nps = share_promoters - share_detractors
    variance = share_promoters + share_detractors - nps**2
    return 100 * nps, 100 * z * math.sqrt(variance / count)


class SatisfactionCampaign(models.Model):
    """Ask the customers of a kind of job, once and at the right moment,
    how it went: an Odoo survey sent through the outbox when their job
    enters one of its target states, reminded, muted for customers asked
    recently, and whose answers alert a named user."""

    _name = "satisfaction.campaign"
    _description = "Satisfaction Survey Campaign"
    _inherit = ["mail.thread"]
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    survey_id = fields.Many2one("survey.survey", required=True, ondelete="restrict", tracking=True)
    score_type = fields.Selection(
        [("nps", "NPS (0-10)"), ("csat", "CSAT (1-5)")],
        compute="_compute_score_type",
        help="Given by the survey's question whose role is the satisfaction score.",
    )

    # automated survey (seed: "Sondage automatisé")
    is_automated = fields.Boolean(
        string="Link the Survey to Jobs",
        default=True,
        tracking=True,
        help="Send the survey when a job enters one of the rules' states.",
    )
    rule_ids = fields.One2many("satisfaction.campaign.rule", "campaign_id", string="Rules", copy=True)
    delay_number = fields.Integer(string="Delay", help="Time to wait after the state change before sending.")
    delay_unit = fields.Selection(UNITS, default="hours", required=True)
    mute_days = fields.Integer(
        string="Mute Period",
        help="At most one survey of this campaign per e-mail address in this many days, "
        "whatever the job. 0: no mute period.",
    )

    # sequence settings (seed: "paramètres d'une séquence")
    reminder_count = fields.Selection(
        [("0", "No reminder"), ("1", "1 reminder"), ("2", "2 reminders")],
        string="Reminders to Send",
        default="1",
        required=True,
    )
    reminder_delay_days = fields.Integer(
        string="Days Between Reminders",
        default=3,
        help="A reminder goes this many days after the previous send, to customers who have "
        "not opened or not finished the survey.",
    )
    customer_interval_days = fields.Integer(
        string="Interval Between Campaigns",
        help="No survey of this campaign to an address that received a survey of another "
        "campaign in this many days. 0: no interval.",
    )
    warning_user_id = fields.Many2one(
        "res.users",
        string="Warnings",
        domain=[("share", "=", False)],
        tracking=True,
        help="Alerted when an answer marked as a warning is chosen.",
    )
    unhappy_user_id = fields.Many2one(
        "res.users",
        string="Unhappy Customers",
        domain=[("share", "=", False)],
        tracking=True,
        help="Alerted when a customer gives a detractor score (NPS 0 to 6, CSAT 1 or 2).",
    )
    cross_sell_user_id = fields.Many2one(
        "res.users",
        string="Cross-sell Requests",
        domain=[("share", "=", False)],
        tracking=True,
        help="Alerted when a customer asks for another service.",
    )
    referral_user_id = fields.Many2one(
        "res.users",
        string="Referrals",
        domain=[("share", "=", False)],
        tracking=True,
        help="Alerted, with the referred person in copy, when a customer refers someone.",
    )
    share_positive_feedback = fields.Boolean(
        tracking=True,
        help="Send the comments of happy customers to the employees who did the job.",
    )
    positive_threshold = fields.Integer(
        string="Positive From",
        compute="_compute_positive_threshold",
        store=True,
        readonly=False,
        help="Lowest score whose comment is shared: 9 for NPS (promoters), 4 for CSAT.",
    )
    webhook_url = fields.Char(
        string="Webhook URL",
        help="Each completed answer is posted there as JSON, signed with the secret (HMAC-SHA256).",
    )
    webhook_secret = fields.Char(
        copy=False,
        groups="survey.group_survey_manager",
        default=lambda self: secrets.token_hex(32),
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Invitation",
        required=True,
        domain=[("model", "=", "survey.user_input")],
        default=lambda self: self.env.ref(
            "satisfaction_survey.mail_template_invitation", raise_if_not_found=False
        ),
    )
    reminder_template_id = fields.Many2one(
        "mail.template",
        string="Reminder",
        required=True,
        domain=[("model", "=", "survey.user_input")],
        default=lambda self: self.env.ref(
            "satisfaction_survey.mail_template_reminder", raise_if_not_found=False
        ),
    )
    policy_id = fields.Many2one(
        "followup.policy",
        string="Send Policy",
        check_company=True,
        help="Leave empty for the company's default send policy.",
    )
    is_consent_required = fields.Boolean(
        string="Consent Required",
        default=True,
        help="Only send to customers who accepted e-mails.",
    )

    # results
    invitation_count = fields.Integer(string="Invitations", compute="_compute_results")
    answer_count = fields.Integer(string="Answers", compute="_compute_results")
    response_rate = fields.Float(compute="_compute_results", aggregator=False)
    promoter_count = fields.Integer(string="Promoters", compute="_compute_results")
    passive_count = fields.Integer(string="Passives", compute="_compute_results")
    detractor_count = fields.Integer(string="Detractors", compute="_compute_results")
    nps = fields.Float(string="NPS", compute="_compute_results", digits=(16, 1), aggregator=False)
    nps_margin = fields.Float(
        string="Margin (95%)",
        compute="_compute_results",
        digits=(16, 1),
        aggregator=False,
        help="The true NPS lies within this many points of the measured one, 19 times out of 20.",
    )
    csat = fields.Float(string="CSAT", compute="_compute_results", digits=(16, 2), aggregator=False)

    _sql_constraints = [
        (
            "durations_positive",
            "CHECK (delay_number >= 0 AND mute_days >= 0 AND reminder_delay_days >= 0 "
            "AND customer_interval_days >= 0)",
            "Delays, periods and intervals cannot be negative.",
        ),
    ]

    @api.depends("survey_id.question_and_page_ids.satisfaction_role")
    def _compute_score_type(self):
        for campaign in self:
            roles = set(campaign.survey_id.question_and_page_ids.mapped("satisfaction_role"))
            campaign.score_type = "nps" if "nps" in roles else "csat" if "csat" in roles else False

    @api.depends("score_type")
    def _compute_positive_threshold(self):
        for campaign in self:
            campaign.positive_threshold = 4 if campaign.score_type == "csat" else 9

    def _compute_results(self):
        UserInput = self.env["survey.user_input"]
        categories = {
            (campaign, category): count
            for campaign, category, count in UserInput._read_group(
                [("campaign_id", "in", self.ids), ("state", "=", "done")],
                ["campaign_id", "nps_category"],
                ["__count"],
            )
        }
        csats = dict(
            UserInput._read_group(
                [("campaign_id", "in", self.ids), ("state", "=", "done"), ("csat_score", "!=", 0)],
                ["campaign_id"],
                ["csat_score:avg"],
            )
        )
        invitations = dict(
            self.env["followup.dispatch"]._read_group(
                [
                    ("origin_model", "=", self._name),
                    ("origin_id", "in", self.ids),
                    ("occurrence", "=", INVITATION),
                    ("state", "in", SENT_STATES),
                ],
                ["origin_id"],
                ["__count"],
            )
        )
        for campaign in self:
            counts = {key[1]: count for key, count in categories.items() if key[0] == campaign}
            campaign.answer_count = sum(counts.values())
            campaign.invitation_count = invitations.get(campaign.id, 0)
            campaign.response_rate = (
                100 * campaign.answer_count / campaign.invitation_count if campaign.invitation_count else 0
            )
            campaign.promoter_count = counts.get("promoter", 0)
            campaign.passive_count = counts.get("passive", 0)
            campaign.detractor_count = counts.get("detractor", 0)
            campaign.nps, campaign.nps_margin = nps_interval(
                campaign.promoter_count, campaign.passive_count, campaign.detractor_count
            )
            campaign.csat = csats.get(campaign, 0.0)

    @api.constrains("positive_threshold", "survey_id")
    def _check_positive_threshold(self):
        for campaign in self:
            low, high = (1, 5) if campaign.score_type == "csat" else (0, 10)
            if not low <= campaign.positive_threshold <= high:
                raise ValidationError(
                    self.env._(
                        "The positive threshold must lie between %(low)s and %(high)s.", low=low, high=high
                    )
                )

    @api.constrains("mail_template_id", "reminder_template_id")
    def _check_templates(self):
        for campaign in self:
            if {campaign.mail_template_id.model, campaign.reminder_template_id.model} != {
                "survey.user_input"
            }:
                raise ValidationError(
                    self.env._("The invitation and reminder templates must be survey answer templates.")
                )

    def write(self, vals):
        res = super().write(vals)
        if {"active", "is_automated"} & set(vals):
            self.env.registry.clear_cache()
        return res

    def unlink(self):
        res = super().unlink()
        self.env.registry.clear_cache()
        return res

    def action_regenerate_webhook_secret(self):
        for campaign in self:
            campaign.webhook_secret = secrets.token_hex(32)

    def action_open_answers(self):
        self.ensure_one()
        return self.env["survey.user_input"]._satisfaction_action([("campaign_id", "=", self.id)])

    def action_open_nps_by_employee(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "satisfaction_survey.satisfaction_nps_report_action"
        )
        return {**action, "domain": [("campaign_id", "=", self.id)]}

    def action_open_dispatches(self):
        self.ensure_one()
        return self.env["followup.dispatch"]._action_open(
            [("origin_model", "=", self._name), ("origin_id", "=", self.id)]
        )

    # ------------------------------------------------------------
    # PLANNING
    # ------------------------------------------------------------

    def _delay(self):
        return timedelta(**{self.delay_unit: self.delay_number or 0})

    def _invitation_key(self, record, partner):
        address = partner.email_normalized or (partner and f"partner-{partner.id}") or "none"
        return f"survey:{self.id}:{record._name}:{record.id}:{address}"

    def _plan_invitations(self, rule, records):
        """Plan one invitation per record and address, each its own survey
        answer linked to the record; a record that already had one (another
        target state, another rule of the campaign) plans nothing."""
        self.ensure_one()
        if not records:
            return
        recipients = {record: rule._recipient(record) for record in records}
        keys = {record: self._invitation_key(record, recipients[record]) for record in records}
        Dispatch = self.env["followup.dispatch"].sudo()
        taken = set(
            Dispatch.search_fetch(
                [("idempotency_key", "in", list(keys.values())), ("state", "!=", "cancelled")],
                ["idempotency_key"],
            ).mapped("idempotency_key")
        )
        todo = []
        for record in records:
            if keys[record] not in taken:
                taken.add(keys[record])
                todo.append(record)
        if not todo:
            return
        questions = self.survey_id._prepare_user_input_predefined_questions()
        # in a few INSERTs, or through create when a rule reacts to new answers
        answers = create_rows(
            self.env["survey.user_input"]
            .sudo()
            .with_context(mail_create_nolog=True, mail_create_nosubscribe=True, tracking_disable=True),
            [
                {
                    "survey_id": self.survey_id.id,
                    "partner_id": recipients[record].id,
                    "email": recipients[record].email,
                    "campaign_id": self.id,
                    "satisfaction_res_model": record._name,
                    "satisfaction_res_id": record.id,
                    "satisfaction_user_ids": [fields.Command.set(rule._employees(record).ids)],
                    "predefined_question_ids": [fields.Command.set(questions.ids)],
                }
                for record in todo
            ],
        )
        when = fields.Datetime.now() + self._delay()
        vals_list = []
        for record, answer in zip(todo, answers, strict=True):
            company = (
                record.company_id if "company_id" in record._fields and record.company_id else self.company_id
            )
            vals_list.append(
                {
                    **self._dispatch_vals(answer, company, self.mail_template_id),
                    "occurrence": INVITATION,
                    "date_planned": when,
                    "idempotency_key": keys[record],
                }
            )
        planned = Dispatch._plan(vals_list)
        # another transaction planned some meanwhile: their answers are its own
        (answers - answers.browse(planned.mapped("res_id"))).unlink()

    def _dispatch_vals(self, answer, company, template):
        return {
            "channel": "email",
            "mail_template_id": template.id,
            "partner_id": answer.partner_id.id,
            "res_model": answer._name,
            "res_id": answer.id,
            "origin_model": self._name,
            "origin_id": self.id,
            "company_id": company.id,
            "policy_id": (self.policy_id or company.followup_policy_id).id,
            "is_consent_required": self.is_consent_required,
        }

    # ------------------------------------------------------------
    # OUTBOX HOOKS
    # ------------------------------------------------------------

    @api.model
    def _followup_check_dispatches(self, dispatches):
        """At send time: nothing from an archived campaign; reminders only to
        customers who have not finished the survey; invitations muted for
        an address asked recently (this campaign's mute period, other
        campaigns' interval)."""
        skip = {}
        campaigns = self.browse(dispatches.mapped("origin_id")).exists()
        answers = self.env["survey.user_input"].browse(dispatches.mapped("res_id"))
        by_answer = {answer.id: answer for answer in answers}
        invitations = []
        for dispatch in dispatches:
            campaign = self.browse(dispatch.origin_id)
            answer = by_answer[dispatch.res_id]
            if campaign not in campaigns or not campaign.active:
                skip[dispatch] = ("condition_false", self.env._("The campaign was archived or deleted."))
            elif dispatch.occurrence == INVITATION:
                invitations.append(dispatch.id)
            elif answer.state == "done":
                skip[dispatch] = ("survey_answered", self.env._("The customer answered the survey."))
        skip.update(self._muted(dispatches.browse(invitations)))
        return skip

    @api.model
    def _muted(self, invitations):
        """{invitation: (reason, message)} for the invitations to an address
        that received a survey of the same campaign within its mute period,
        or of another campaign within its interval; among invitations to
        one address in one batch, the first goes."""
        if not invitations:
            return {}
        campaigns = self.browse(invitations.mapped("origin_id"))
        horizon = max(*campaigns.mapped("mute_days"), *campaigns.mapped("customer_interval_days"))
        if not horizon:
            return {}
        now = fields.Datetime.now()
        addresses = {dispatch: dispatch.partner_id.email_normalized for dispatch in invitations}
        Dispatch = self.env["followup.dispatch"]
        Dispatch.flush_model(["address", "date_sent", "origin_model", "origin_id", "occurrence"])
        self.env.cr.execute(
            """
            SELECT address, origin_id, max(date_sent)
              FROM followup_dispatch
             WHERE origin_model = %s AND occurrence = %s AND address = ANY(%s) AND date_sent >= %s
             GROUP BY address, origin_id
            """,
            [self._name, INVITATION, [a for a in addresses.values() if a], now - timedelta(days=horizon)],
        )
        last_sent = {}
        for address, campaign_id, date_sent in self.env.cr.fetchall():
            last_sent.setdefault(address, {})[campaign_id] = date_sent
        muted = {}
        for dispatch in invitations.sorted(lambda d: (d.date_earliest, d.id)):
            address = addresses[dispatch]
            if not address:
                continue
            campaign = self.browse(dispatch.origin_id)
            sent = last_sent.setdefault(address, {})
            same = sent.get(campaign.id)
            others = [date for campaign_id, date in sent.items() if campaign_id != campaign.id]
            if campaign.mute_days and same and same >= now - timedelta(days=campaign.mute_days):
                muted[dispatch] = (
                    "mute_period",
                    self.env._(
                        "%(address)s received this survey on %(date)s, within the %(days)s-day mute period.",
                        address=address,
                        date=fields.Date.to_string(same),
                        days=campaign.mute_days,
                    ),
                )
            elif campaign.customer_interval_days and any(
                date >= now - timedelta(days=campaign.customer_interval_days) for date in others
            ):
                muted[dispatch] = (
                    "survey_interval",
                    self.env._(
                        "%(address)s received another survey within %(days)s days.",
                        address=address,
                        days=campaign.customer_interval_days,
                    ),
                )
            else:
                sent[campaign.id] = now
        return muted

    @api.model
    def _followup_message_records(self, dispatches):
        """The job's chatter shows its survey e-mails, not the answer's."""
        answers = self.env["survey.user_input"].browse(dispatches.mapped("res_id")).exists()
        records = answers._satisfaction_records()
        return {dispatch: records[dispatch.res_id] for dispatch in dispatches if dispatch.res_id in records}

    @api.model
    def _followup_delivery_event(self, dispatches, event):
        """Once a survey e-mail left, plan the next reminder, if the campaign
        sends one more; it is checked again when it is due."""
        if event != "sent":
            return
        answers = self.env["survey.user_input"].browse(dispatches.mapped("res_id")).exists()
        by_answer = {answer.id: answer for answer in answers}
        vals_list = []
        for dispatch in dispatches:
            answer = by_answer.get(dispatch.res_id)
            campaign = answer.campaign_id if answer else self.browse()
            sent_count = 0 if dispatch.occurrence == INVITATION else int(dispatch.occurrence.split(":")[1])
            if not campaign or answer.state == "done" or sent_count >= int(campaign.reminder_count):
                continue
            occurrence = REMINDER % (sent_count + 1)
            vals_list.append(
                {
                    **campaign._dispatch_vals(answer, dispatch.company_id, campaign.reminder_template_id),
                    "occurrence": occurrence,
                    "date_planned": (dispatch.date_sent or fields.Datetime.now())
                    + timedelta(days=campaign.reminder_delay_days),
                    "idempotency_key": f"survey:{answer.id}:{occurrence}",
                }
            )
        if vals_list:
            self.env["followup.dispatch"]._plan(vals_list)
