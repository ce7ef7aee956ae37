from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestRuleTour(HttpCase):
    """In a browser: a rule created from its form, triggered on a work
    order, its message found in the outbox, sent now and seen in the chatter."""

    def test_rule_from_its_form_to_the_chatter(self):
        if "repair.order" not in self.env:
            self.skipTest("Repair is not installed")
        self.env["res.partner"].create(
            {
                "name": "Léa Tremblay",
                "mobile": "+1 514 555 0177",
                "email": "lea@example.com",
                "tz": "America/Montreal",
            }
        )
        self.start_tour(
            "/odoo/action-customer_followup.followup_rule_action",
            "customer_followup_rule_tour",
            login="admin",
        )
        rule = self.env["followup.rule"].search([("name", "=", "Tour: work order received")])
        self.assertEqual(rule.model_name, "repair.order")
        dispatch = self.env["followup.dispatch"].search(
            [("origin_model", "=", rule._name), ("origin_id", "=", rule.id)]
        )
        self.assertEqual(dispatch.state, "sent")
        repair = self.env["repair.order"].browse(dispatch.res_id)
        self.assertIn(dispatch.mail_message_id, repair.message_ids)
