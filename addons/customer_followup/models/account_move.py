from odoo import api, fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    followup_dunning_excluded = fields.Boolean(
        string="Excluded from Dunning",
        copy=False,
        tracking=True,
        help="Never chased: the customer's other invoices are, without it.",
    )
    followup_dispute = fields.Boolean(
        string="Disputed",
        copy=False,
        tracking=True,
        help="The customer disputes this invoice: dunning leaves it out until the dispute is settled.",
    )
    followup_dispute_reason = fields.Char(string="Dispute Reason", copy=False, tracking=True)
    followup_dunning_action_count = fields.Integer(
        string="Dunning Actions", compute="_compute_followup_dunning_action_count"
    )

    @api.depends_context("uid")
    def _compute_followup_dunning_action_count(self):
        counts = {}
        actions = self.env["followup.dunning.action"].search_fetch(
            [("move_line_ids.move_id", "in", self.ids)], ["move_line_ids"]
        )
        for action in actions:
            for move in action.move_line_ids.move_id:
                counts[move] = counts.get(move, 0) + 1
        for move in self:
            move.followup_dunning_action_count = counts.get(move, 0)

    def action_open_followup_dunning_actions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "customer_followup.followup_dunning_action_action"
        )
        action["domain"] = [("move_line_ids.move_id", "=", self.id)]
        action["context"] = {}
        return action

    def _followup_invoice_pdfs(self):
        """{invoice: its PDF attachment}: the one Odoo stored when the
        invoice was sent, else printed now and kept on the invoice."""
        pdfs = {move: move.invoice_pdf_report_id for move in self if move.invoice_pdf_report_id}
        report = self.env["ir.actions.report"].sudo()
        for move in self - self.browse([move.id for move in pdfs]):
            content, _type = report._render_qweb_pdf("account.account_invoices", res_ids=move.ids)
            pdfs[move] = (
                self.env["ir.attachment"]
                .sudo()
                .create(
                    {
                        "name": f"{move._get_invoice_report_filename()}",
                        "raw": content,
                        "mimetype": "application/pdf",
                        "res_model": move._name,
                        "res_id": move.id,
                    }
                )
            )
        return pdfs
