import base64
import re

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from odoo import api, fields, models
from odoo.exceptions import ValidationError

DOMAIN_RE = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
HOST_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
STATES = [("not_checked", "Not Checked"), ("verified", "Verified"), ("not_verified", "Not Verified")]
# a new name, selector, include or key: what the DNS says must be read again
RECHECK_FIELDS = {"name", "dkim_selector", "dkim_public_key", "spf_include", "tracking_host"}


class SalesCadenceDomain(models.Model):
    """The domain the company's cadence e-mails leave from (seed: "domaine
    personnalisé"), with the DNS records to publish on it so that receiving
    servers trust them (SPF, DKIM) and links and unsubscribe pages carry its
    name (a tracking CNAME), and what the DNS said when last checked."""

    _name = "sales.cadence.domain"
    _description = "Cadence Sending Domain"
    _order = "company_id, name"
    _check_company_auto = True

    name = fields.Char(
        "Domain",
        required=True,
        help="The part after @ of the addresses your cadence e-mails leave from, e.g. example.com.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    dkim_selector = fields.Char(
        "DKIM Selector",
        required=True,
        default="odoo",
        help="The DKIM key is published at <selector>._domainkey.<domain>: another selector lets the "
        "domain keep the keys of its other senders.",
    )
    dkim_private_key = fields.Text("DKIM Private Key", groups="base.group_system", copy=False)
    dkim_public_key = fields.Char("DKIM Public Value", readonly=True, copy=False)
    spf_include = fields.Char(
        "SPF Include",
        default=lambda self: self._default_spf_include(),
        help="The domain whose SPF record lists the servers that send your e-mails: your e-mail "
        "provider's (e.g. _spf.google.com, spf.protection.outlook.com) or your outgoing mail server. "
        "The domain's SPF record must include it; when empty, the domain's MX servers are its senders.",
    )
    tracking_host = fields.Char(
        "Tracking Host Name",
        required=True,
        default="track",
        help="The name, under the domain, of the links and unsubscribe pages of your e-mails: "
        "a CNAME from it to this database's address.",
    )
    record_ids = fields.One2many("sales.cadence.domain.record", "domain_id", string="DNS Records")
    state = fields.Selection(
        STATES,
        string="Status",
        compute="_compute_state",
        store=True,
        help="Verified when the DNS shows every record as it should be.",
    )
    date_checked = fields.Datetime("Last Checked", readonly=True, copy=False)

    _sql_constraints = [
        ("name_company_uniq", "UNIQUE (name, company_id)", "A domain is set up once per company."),
    ]

    @api.model
    def _default_spf_include(self):
        """The include an administrator set (ICP sales_cadence.spf_include),
        else the host of the first outgoing mail server."""
        include = self.env["ir.config_parameter"].sudo().get_param("sales_cadence.spf_include")
        if not include:
            include = self.env["ir.mail_server"].sudo().search([], order="sequence, id", limit=1).smtp_host
        return include or False

    @api.depends("record_ids.state")
    def _compute_state(self):
        for domain in self:
            states = set(domain.record_ids.mapped("state"))
            if states == {"verified"}:
                domain.state = "verified"
            elif states <= {"not_checked"}:
                domain.state = "not_checked"
            else:
                domain.state = "not_verified"

    @api.constrains("name", "dkim_selector", "tracking_host")
    def _check_names(self):
        for domain in self:
            if not DOMAIN_RE.match(domain.name):
                raise ValidationError(
                    self.env._("%(name)s is not a domain name such as example.com.", name=domain.name)
                )
            for label in (domain.dkim_selector, domain.tracking_host):
                if not HOST_RE.match(label):
                    raise ValidationError(
                        self.env._(
                            "%(name)s is not a host name: letters, digits and dashes, without dots.",
                            name=label,
                        )
                    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._normalize(vals)
        domains = super().create(vals_list)
        self.env["sales.cadence.domain.record"].create(
            [
                {"domain_id": domain.id, "kind": kind}
                for domain in domains
                for kind in ("spf", "dkim", "tracking")
            ]
        )
        domains.filtered(lambda d: not d.dkim_public_key)._generate_dkim_key()
        return domains

    def write(self, vals):
        self._normalize(vals)
        result = super().write(vals)
        if RECHECK_FIELDS & vals.keys():
            self.record_ids._reset()
            self.date_checked = False
        return result

    @api.model
    def _normalize(self, vals):
        """Lowercase names, without the "@" or the final dot people paste."""
        for field in ("name", "dkim_selector", "tracking_host", "spf_include"):
            if vals.get(field):
                vals[field] = vals[field].strip().lower().lstrip("@").rstrip(".")

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_generate_dkim_key(self):
        """A new DKIM key pair: the record published so far no longer
        matches until its new value is published."""
        self.check_access("write")
        self._generate_dkim_key()

    def action_check(self):
        """Ask the DNS for the domain's records, now."""
        self.check_access("write")
        self.record_ids._check()
        self.date_checked = fields.Datetime.now()

    def _generate_dkim_key(self):
        for domain in self:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            private = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            public = key.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            # only administrators read the private key: it is written as superuser
            domain.sudo().write(
                {"dkim_private_key": private.decode(), "dkim_public_key": base64.b64encode(public).decode()}
            )
