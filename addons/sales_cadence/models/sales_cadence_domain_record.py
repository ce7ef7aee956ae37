import logging
from urllib.parse import urlsplit

import dns.exception
import dns.resolver

from odoo import api, fields, models

_logger = logging.getLogger(__name__)

KINDS = [("spf", "SPF"), ("dkim", "DKIM"), ("tracking", "Tracking")]
STATES = [
    ("not_checked", "Not Checked"),
    ("verified", "Verified"),
    ("missing", "Missing"),
    ("different", "Different Value"),
    ("error", "Lookup Failed"),
]
LOOKUP_TIMEOUT = 5  # seconds, for all the servers asked


class SalesCadenceDomainRecord(models.Model):
    """One DNS record to publish on a sending domain: where (host), its
    type, the value it must have, and what a lookup found there."""

    _name = "sales.cadence.domain.record"
    _description = "Cadence Sending Domain DNS Record"
    _order = "domain_id, id"

    domain_id = fields.Many2one("sales.cadence.domain", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="domain_id.company_id", store=True)
    kind = fields.Selection(KINDS, string="Record", required=True, readonly=True)
    host = fields.Char("Host Name", compute="_compute_expected")
    record_type = fields.Char("Type", compute="_compute_expected")
    value = fields.Char("Value to Publish", compute="_compute_expected")
    state = fields.Selection(STATES, string="Status", default="not_checked", required=True, readonly=True)
    value_found = fields.Char(readonly=True)
    reason = fields.Char(readonly=True, help="What the last lookup found wrong.")

    _sql_constraints = [("kind_uniq", "UNIQUE (domain_id, kind)", "A domain has one record of each kind.")]

    @api.depends(
        "kind",
        "domain_id.name",
        "domain_id.dkim_selector",
        "domain_id.dkim_public_key",
        "domain_id.spf_include",
        "domain_id.tracking_host",
    )
    def _compute_expected(self):
        for record in self:
            domain = record.domain_id
            if record.kind == "spf":
                mechanism = f"include:{domain.spf_include}" if domain.spf_include else "mx"
                record.host, record.record_type = domain.name, "TXT"
                record.value = f"v=spf1 {mechanism} ~all"
            elif record.kind == "dkim":
                record.host, record.record_type = f"{domain.dkim_selector}._domainkey.{domain.name}", "TXT"
                record.value = f"v=DKIM1; k=rsa; p={domain.dkim_public_key or ''}"
            else:
                record.host, record.record_type = f"{domain.tracking_host}.{domain.name}", "CNAME"
                record.value = urlsplit(domain.get_base_url()).hostname

    def _reset(self):
        self.write({"state": "not_checked", "value_found": False, "reason": False})

    # ------------------------------------------------------------
    # CHECKING
    # ------------------------------------------------------------

    def _check(self):
        """Look each record up and compare with what it must be."""
        for record in self:
            record.write(record._lookup())

    def _lookup(self):
        """The state of ``self`` after asking the DNS: a lookup that fails
        is recorded with its reason, never raised."""
        self.ensure_one()
        try:
            found = self._resolve(self.host, self.record_type)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            found = []
        except dns.exception.Timeout:
            return self._result(
                "error", [], self.env._("The DNS servers did not answer in time: check again later.")
            )
        except dns.exception.DNSException as error:
            _logger.info("DNS lookup of %s %s failed: %s", self.record_type, self.host, error)
            return self._result("error", [], self.env._("The DNS lookup failed: %(error)s", error=error))
        return self._compare(found)

    @api.model
    def _resolve(self, name, rdtype):
        """The values the DNS has for ``name``: the text of each TXT record
        (its strings joined), the target of a CNAME without its final dot.

        :raise dns.exception.DNSException: no such name, no such record, no answer
        """
        answer = dns.resolver.resolve(name, rdtype, lifetime=LOOKUP_TIMEOUT)
        if rdtype == "TXT":
            return [b"".join(rdata.strings).decode(errors="replace") for rdata in answer]
        if rdtype == "CNAME":
            return [rdata.target.to_text(omit_final_dot=True) for rdata in answer]
        return [rdata.to_text() for rdata in answer]

    def _compare(self, found):
        """The state of ``self`` given the values ``found`` at its host."""
        self.ensure_one()
        if self.kind == "spf":
            published = [value for value in found if value.lower().startswith("v=spf1")]
            wanted = set(self.value.lower().split()[1:-1])  # its mechanisms, without v=spf1 and ~all
            matches = [value for value in published if wanted <= set(value.lower().split())]
            if len(published) > 1:
                return self._result(
                    "different", published, self.env._("A domain has one SPF record: merge them into one.")
                )
        elif self.kind == "dkim":
            published = [value for value in found if "p=" in value]
            key = self._dkim_tags(self.value)["p"]
            matches = [value for value in published if key and self._dkim_tags(value).get("p") == key]
        else:
            published = [value.lower() for value in found]
            matches = [value for value in published if value == self.value]
        if matches:
            return self._result("verified", matches)
        if published and self.kind == "spf":
            return self._result(
                "different",
                published,
                self.env._(
                    "Add %(mechanisms)s to the SPF record found.", mechanisms=" ".join(sorted(wanted))
                ),
            )
        if published:
            return self._result(
                "different", published, self.env._("Replace the value found by the value to publish.")
            )
        return self._result(
            "missing",
            found,
            self.env._("No %(type)s record at %(host)s yet.", type=self.record_type, host=self.host),
        )

    @staticmethod
    def _result(state, values, reason=False):
        return {"state": state, "value_found": "\n".join(values) or False, "reason": reason}

    @staticmethod
    def _dkim_tags(value):
        """{tag: value} of a DKIM record: "v=DKIM1; k=rsa; p=MIIB..." """
        tags = (tag.split("=", 1) for tag in value.split(";") if "=" in tag)
        return {name.strip(): "".join(text.split()) for name, text in tags}
