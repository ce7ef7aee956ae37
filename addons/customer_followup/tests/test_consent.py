from odoo.tests import Form, freeze_time, tagged

from .common import FollowupCase


@tagged("post_install", "-at_install")
class TestConsent(FollowupCase):
    def test_new_contacts_have_no_consent(self):
        partner = self.env["res.partner"].create({"name": "New customer", "email": "new@example.com"})
        self.assertFalse(partner.followup_email_consent)
        self.assertFalse(partner.followup_sms_consent)
        self.assertFalse(partner.followup_email_consent_date)

    @freeze_time("2025-11-03 15:00:00")
    def test_consent_is_dated_with_its_source(self):
        partner = self.env["res.partner"].create({"name": "New customer"})
        with Form(partner) as form:
            form.followup_sms_consent = True
        self.assertTrue(partner.followup_sms_consent)
        self.assertEqual(str(partner.followup_sms_consent_date), "2025-11-03 15:00:00")
        self.assertEqual(partner.followup_sms_consent_source, "user")
        self.assertFalse(partner.followup_email_consent_date, "Only the channel that changed is stamped")

    def test_source_given_by_the_caller_is_kept(self):
        partner = self.env["res.partner"].create(
            {
                "name": "Web form customer",
                "followup_email_consent": True,
                "followup_email_consent_source": "customer",
            }
        )
        self.assertEqual(partner.followup_email_consent_source, "customer")
        self.assertTrue(partner.followup_email_consent_date)

    def test_consent_is_not_copied(self):
        copy = self.partner.copy()
        self.assertFalse(copy.followup_email_consent)
        self.assertFalse(copy.followup_sms_consent)
