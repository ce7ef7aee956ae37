from datetime import timedelta

from odoo.exceptions import AccessError
from odoo.tests import freeze_time, new_test_user, tagged, users
from odoo.tools.safe_eval import safe_eval

from .common import FollowupCase


@tagged("post_install", "-at_install")
@freeze_time(FollowupCase.MONDAY_OPEN)
class TestSecurity(FollowupCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.env["res.company"].create({"name": "Other Shop"})
        new_test_user(
            cls.env,
            "followup_user",
            groups="customer_followup.group_followup_user",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        new_test_user(cls.env, "employee", groups="base.group_user")

    def test_new_company_gets_a_default_policy(self):
        policy = self.other_company.followup_policy_id
        self.assertTrue(policy)
        self.assertEqual(policy.company_id, self.other_company)

    def _plan_in_both_companies(self):
        mine = self.plan(key="mine")
        theirs = self.plan(key="theirs", company_id=self.other_company.id, policy_id=False)
        return mine, theirs

    @users("followup_user")
    def test_user_sees_own_companies_only(self):
        mine, theirs = self._plan_in_both_companies()
        visible = self.env["followup.dispatch"].search([("id", "in", (mine | theirs).ids)])
        self.assertEqual(visible, mine.with_env(self.env))

    @users("followup_user")
    def test_user_cancels_but_cannot_configure(self):
        mine, _theirs = self._plan_in_both_companies()
        mine.with_env(self.env).action_cancel()
        self.assertEqual(mine.state, "cancelled")
        with self.assertRaises(AccessError):
            self.policy.with_env(self.env).write({"sms_daily_cap": 5})

    @users("employee")
    def test_employee_reads_only(self):
        mine, _theirs = self._plan_in_both_companies()
        self.assertEqual(mine.with_env(self.env).state, "planned")
        with self.assertRaises(AccessError):
            mine.with_env(self.env).action_cancel()

    @users("followup_user")
    def test_preview_lists_planned_rows_in_leaving_order(self):
        soon = self.plan(key="soon", date_planned=self.MONDAY_OPEN + timedelta(hours=1))
        first = self.plan(key="first")
        sent = self.plan(key="sent")
        sent.sudo().write({"state": "sent"})
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "customer_followup.followup_dispatch_action_preview"
        )
        domain = [*safe_eval(action["domain"]), ("id", "in", (first | soon | sent).ids)]
        self.assertEqual(
            self.env["followup.dispatch"].search(domain, order="date_earliest, id").ids, (first | soon).ids
        )
