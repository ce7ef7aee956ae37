from datetime import datetime, timedelta
from unittest.mock import patch

from odoo import api, sql_db
from odoo.tests import freeze_time, tagged

from odoo.addons.customer_followup.models.followup_dispatch import FollowupDispatch

from .common import FollowupCase, plan_committed


class WorkerKilled(BaseException):
    """What the cron worker sees when it is killed mid-batch."""


@tagged("post_install", "-at_install")
@freeze_time(FollowupCase.MONDAY_OPEN)
class TestOutboxBatches(FollowupCase):
    """Exactly once, nothing lost, cost per message bounded."""

    def test_query_count_of_a_100_message_batch(self):
        partners = self._partners(100)
        dispatches = self.plan(partners)
        self.env.invalidate_all()
        # Independent of the batch size: locking, the checks and the bulk
        # inserts/updates are one query each (the chatter bodies too, written
        # once sanitized), rendering a handful per template, and one query per
        # run looks for failed rows due for a retry.
        with self.assertQueryCount(__system__=44):
            self.send_due(batch_size=100)
        self.assertEqual(set(dispatches.mapped("state")), {"sent"})
        self.assertEqual(len(dispatches.mail_mail_id), 100)

    def test_sms_batch_query_count(self):
        dispatches = self.plan(self._partners(100), channel="sms")
        self.env.invalidate_all()
        with self.assertQueryCount(__system__=41):
            self.send_due(batch_size=100)
        self.assertEqual(set(dispatches.mapped("state")), {"sent"})
        self.assertEqual(len(set(dispatches.sms_id.mapped("number"))), 100)

    def test_crash_mid_batch_then_rerun_sends_exactly_the_rest(self):
        dispatches = self.plan(self._partners(50))
        calls = []
        original_send = FollowupDispatch._send

        def crash_on_third_batch(records, addresses):
            calls.append(len(records))
            if len(calls) == 3:
                raise WorkerKilled()
            return original_send(records, addresses)

        # not assertRaises: it would roll back the batches already done
        crashed = False
        with patch.object(FollowupDispatch, "_send", crash_on_third_batch):
            try:
                self.send_due(batch_size=10)
            except WorkerKilled:
                crashed = True
        self.assertTrue(crashed)
        self.assertEqual(len(dispatches.filtered(lambda d: d.state == "sent")), 20)
        self.assertEqual(len(dispatches.filtered(lambda d: d.state == "planned")), 30)
        self.assertEqual(
            self.env["mail.mail"].search_count([("recipient_ids", "in", dispatches.partner_id.ids)]), 20
        )

        self.send_due(batch_size=10)
        self.assertEqual(set(dispatches.mapped("state")), {"sent"})
        mails = self.env["mail.mail"].search([("recipient_ids", "in", dispatches.partner_id.ids)])
        self.assertEqual(len(mails), 50)
        self.assertEqual(mails.recipient_ids, dispatches.partner_id, "One e-mail per person, none twice")

    def test_a_row_that_breaks_the_batch_fails_alone(self):
        dispatches = self.plan(self._partners(5))
        broken = dispatches[2]
        original_send = FollowupDispatch._send

        def send_breaking_on_one_row(records, addresses):
            if broken in records:
                raise RuntimeError("SMTP configuration exploded")
            return original_send(records, addresses)

        with (
            patch.object(FollowupDispatch, "_send", send_breaking_on_one_row),
            self.assertLogs("odoo.addons.customer_followup.models.followup_dispatch", "ERROR") as logs,
        ):
            self.send_due()
        self.assertIn("retrying one by one", logs.output[0])
        self.assertEqual((broken.state, broken.reason), ("failed", "send_error"))
        self.assertIn("exploded", broken.error_message)
        self.assertEqual(set((dispatches - broken).mapped("state")), {"sent"})

    def test_saving_twice_plans_once(self):
        vals = {
            "channel": "email",
            "partner_id": self.partner.id,
            "res_model": "res.partner",
            "res_id": self.partner.id,
            "mail_template_id": self.mail_template.id,
            "idempotency_key": f"rule:1:res.partner:{self.partner.id}:2025-11-03",
        }
        self.Dispatch._plan([vals, dict(vals)])
        self.Dispatch._plan([dict(vals)])
        self.send_due()
        self.send_due()
        self.assertEqual(self.Dispatch.search_count([("idempotency_key", "=", vals["idempotency_key"])]), 1)
        self.assertEqual(self.env["mail.mail"].search_count([("recipient_ids", "in", self.partner.ids)]), 1)

    def test_cron_reports_progress_and_rearms(self):
        cron = self.env.ref("customer_followup.ir_cron_followup_dispatch_send")
        self.plan(self._partners(5))
        later = self.plan(key="later", date_planned=self.MONDAY_OPEN + timedelta(hours=2))
        self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]).unlink()
        cron, progress = cron._add_progress()
        done = self.Dispatch.with_context(ir_cron_progress_id=progress.id)._cron_send_due(batch_size=2)
        self.assertEqual(done, 5)
        self.assertEqual((progress.done, progress.remaining), (5, 0))
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        self.assertEqual(
            triggers.mapped("call_at"), [later.date_earliest], "Woken again exactly when the next row is due"
        )


@tagged("post_install", "-at_install")
class TestTwoWorkers(FollowupCase):
    """Two cron workers on their own connections, each locking due rows:
    the rows they get never overlap and each message goes out once. This test
    commits its own data on real connections and removes it at the end."""

    def assert_sent_once_each(self, db, partner_ids, dispatch_ids):
        """Forty committed e-mails, one per person, and every row sent."""
        with db.cursor() as check_cr:
            check_cr.execute(
                """SELECT count(*), count(DISTINCT r.res_partner_id)
                     FROM mail_mail m JOIN mail_mail_res_partner_rel r ON r.mail_mail_id = m.id
                    WHERE r.res_partner_id = ANY(%s)""",
                [partner_ids],
            )
            self.assertEqual(check_cr.fetchone(), (40, 40), "Forty e-mails, one per person")
            check_cr.execute(
                "SELECT state, count(*) FROM followup_dispatch WHERE id = ANY(%s) GROUP BY state",
                [dispatch_ids],
            )
            self.assertEqual(dict(check_cr.fetchall()), {"sent": 40})

    def remove_committed(self, db, partner_ids, dispatch_ids, template_name):
        with db.cursor() as cleanup_cr:
            env = api.Environment(cleanup_cr, api.SUPERUSER_ID, {})
            env["followup.dispatch"].browse(dispatch_ids).unlink()
            env["mail.mail"].search([("recipient_ids", "in", partner_ids)]).unlink()
            env["mail.message"].search(
                [("model", "=", "res.partner"), ("res_id", "in", partner_ids)]
            ).unlink()
            env["res.partner"].browse(partner_ids).unlink()
            env["mail.template"].search([("name", "=", template_name)]).unlink()
            cleanup_cr.commit()

    def test_two_workers_never_take_the_same_row(self):
        db = sql_db.db_connect(self.env.cr.dbname)
        with db.cursor() as setup_cr:
            env = api.Environment(setup_cr, api.SUPERUSER_ID, {"tracking_disable": True})
            partners, _template, dispatches = plan_committed(env, "Two workers", 40)
            setup_cr.commit()
        partner_ids, dispatch_ids = partners.ids, dispatches.ids
        try:
            with db.cursor() as cr_a, db.cursor() as cr_b:
                env_a = api.Environment(cr_a, api.SUPERUSER_ID, {})
                env_b = api.Environment(cr_b, api.SUPERUSER_ID, {})
                batch_a = env_a["followup.dispatch"]._lock_due(25)
                batch_b = env_b["followup.dispatch"]._lock_due(25)
                ours_a = batch_a.filtered(lambda d: d.idempotency_key.startswith("two-workers:"))
                ours_b = batch_b.filtered(lambda d: d.idempotency_key.startswith("two-workers:"))
                self.assertFalse(set(ours_a.ids) & set(ours_b.ids), "No row locked by both workers")
                self.assertEqual(len(ours_a) + len(ours_b), 40)
                batch_a._process()
                batch_b._process()
                cr_a.commit()
                cr_b.commit()
            self.assert_sent_once_each(db, partner_ids, dispatch_ids)
        finally:
            self.remove_committed(db, partner_ids, dispatch_ids, "Two workers test")

    def test_two_overlapping_workers_send_each_row_once_without_error(self):
        """Worker B's snapshot is older than worker A's commit: locking the
        rows A sent is a serialization failure, which ends B's batch; B goes
        on in a fresh transaction with the rows A left."""
        db = sql_db.db_connect(self.env.cr.dbname)
        with db.cursor() as setup_cr:
            env = api.Environment(setup_cr, api.SUPERUSER_ID, {"tracking_disable": True})
            partners, _template, dispatches = plan_committed(
                env, "Overlap", 40, date_planned=datetime(2020, 1, 1)
            )
            setup_cr.commit()
        partner_ids, dispatch_ids = partners.ids, dispatches.ids
        try:
            with db.cursor() as cr_a, db.cursor() as cr_b, self.assertNoLogs("odoo", "ERROR"):
                env_a = api.Environment(cr_a, api.SUPERUSER_ID, {})
                env_b = api.Environment(cr_b, api.SUPERUSER_ID, {})
                env_b["followup.dispatch"].search_count([])  # B's snapshot starts now
                env_a["followup.dispatch"]._cron_send_due(batch_size=25, max_batches=1, auto_commit=True)
                sent_b = env_b["followup.dispatch"]._cron_send_due(batch_size=25, auto_commit=True, worker=2)
                self.assertGreaterEqual(sent_b, 15, "B went on with the rows A left")
            self.assert_sent_once_each(db, partner_ids, dispatch_ids)
        finally:
            self.remove_committed(db, partner_ids, dispatch_ids, "Overlap test")

    def test_a_key_planned_meanwhile_by_another_transaction_is_left_out(self):
        db = sql_db.db_connect(self.env.cr.dbname)
        admin_partner = self.env.ref("base.partner_admin")

        def vals(key):
            return {
                "channel": "email",
                "partner_id": admin_partner.id,
                "res_model": "res.partner",
                "res_id": admin_partner.id,
                "policy_id": False,
                "idempotency_key": key,
            }

        try:
            with db.cursor() as cr_a, db.cursor() as cr_b:
                env_a = api.Environment(cr_a, api.SUPERUSER_ID, {})
                env_b = api.Environment(cr_b, api.SUPERUSER_ID, {})
                env_b["followup.dispatch"].search_count([])  # B's snapshot starts before A commits
                env_a["followup.dispatch"]._plan([vals("race:both")])
                cr_a.commit()
                planned = env_b["followup.dispatch"]._plan([vals("race:both"), vals("race:b-only")])
                self.assertEqual(planned.mapped("idempotency_key"), ["race:b-only"])
                cr_b.commit()
            with db.cursor() as check_cr:
                check_cr.execute(
                    "SELECT idempotency_key, count(*) FROM followup_dispatch"
                    " WHERE idempotency_key LIKE 'race:%%' GROUP BY idempotency_key"
                )
                self.assertEqual(dict(check_cr.fetchall()), {"race:both": 1, "race:b-only": 1})
        finally:
            with db.cursor() as cleanup_cr:
                cleanup_cr.execute("DELETE FROM followup_dispatch WHERE idempotency_key LIKE 'race:%%'")
                cleanup_cr.commit()
