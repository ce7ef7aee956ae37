import itertools
import os
from collections import Counter
from datetime import timedelta

import pytz
from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import CadenceCase
from .test_cadence import MONDAY_10AM

MONTREAL = pytz.timezone("America/Montreal")


@tagged("post_install", "-at_install")
class TestDailyCapAtScale(CadenceCase):
    """The issue's bar: 1,000 leads in a cadence capped at 200 e-mails a day,
    with a random delay of 60 to 120 seconds between e-mails, get exactly
    200 e-mails per working day, inside working hours, each gap within the
    bounds. The clock jumps from one planned time to the next, as the
    outbox's cron is woken in production."""

    def test_1000_leads_200_a_day(self):
        leads = self._leads(int(os.environ.get("BAR_LEADS", "1000")))
        self.policy.write({"email_daily_cap": len(leads) // 5, "email_delay_min": 60, "email_delay_max": 120})
        cadence = self.env["sales.cadence"].create(
            {
                "name": "Intro only",
                "policy_id": self.policy.id,
                "step_ids": [
                    Command.create(
                        {
                            "name": "Intro e-mail",
                            "step_type_id": self.env.ref("sales_cadence.step_type_auto_email").id,
                            "mail_template_id": self.intro.id,
                        }
                    )
                ],
            }
        )
        with freeze_time(MONDAY_10AM):
            cadence._enroll(leads)
            self.Enrollment._cron_run(auto_commit=False)
        dispatches = self.Dispatch.search(
            [("origin_model", "=", "sales.cadence.task"), ("res_id", "in", leads.ids)]
        )
        self.assertEqual(len(dispatches), len(leads))
        now, runs = MONDAY_10AM, 0
        with freeze_time(now) as clock:
            while runs < 3 * len(leads):
                clock.move_to(now)
                self.Dispatch._cron_send_due(auto_commit=False)
                runs += 1
                self.env.cr.execute(
                    "SELECT min(date_earliest) FROM followup_dispatch"
                    " WHERE state = 'planned' AND id = ANY(%s)",
                    [dispatches.ids],
                )
                following = self.env.cr.fetchone()[0]
                if not following:
                    break
                now = max(following, now + timedelta(seconds=1))
        self.assertEqual(set(dispatches.mapped("state")), {"sent"})
        sent = sorted(dispatches.mapped("date_sent"))
        local = [pytz.utc.localize(when).astimezone(MONTREAL) for when in sent]
        per_day = Counter(when.date() for when in local)
        self.assertEqual(list(per_day.values()), [len(leads) // 5] * 5, "Monday to Friday, 200 each")
        self.assertEqual({day.weekday() for day in per_day}, {0, 1, 2, 3, 4})
        self.assertTrue(all(9 <= when.hour < 17 for when in local), "inside working hours")
        for before, after in itertools.pairwise(sent):
            if before.date() == after.date():
                self.assertTrue(60 <= (after - before).total_seconds() <= 120, (before, after))
        # one run per e-mail, and one per morning for the line the cap held back
        self.assertLessEqual(
            runs, len(leads) + 10, "each run reads the row that may leave, not the whole line"
        )
