from odoo import api, fields, models


class WinbackCampaign(models.Model):
    """The segment's size while the campaign is prepared, counted in customers.

    The customer filter's own preview counts every contact matching it (companies,
    their contacts, customers in no chosen status): this counts the scored customers
    the start would take in, the holdout included, before the contact rules (opt-out,
    no email, another running campaign, contact pressure) set some aside.
    """

    _inherit = "winback.campaign"  # pylint: disable=consider-merging-classes-inherited

    segment_count = fields.Integer(
        string="Customers in the segment",
        compute="_compute_segment_count",
        help="Customers of the chosen statuses matching the filter, the minimum revenue and "
        "orders, holdout included; some may still be set aside at the start (opted out, no "
        "email, in another running campaign, contact pressure).",
    )

    @api.depends(
        "company_id",
        "segment_at_risk",
        "segment_dormant",
        "segment_lost",
        "partner_domain",
        "min_revenue",
        "min_orders",
    )
    def _compute_segment_count(self):
        scores = self.env["winback.customer.score"]
        for campaign in self:
            statuses = campaign._statuses()
            if not statuses or not campaign.company_id:
                campaign.segment_count = 0
                continue
            domain = [
                ("company_id", "=", campaign.company_id.id),
                ("status", "in", statuses),
                ("order_count", ">=", campaign.min_orders),
                ("revenue", ">=", campaign.min_revenue),
                ("partner_id.active", "=", True),
            ]
            try:
                partner_domain = campaign._partner_domain()
            except (ValueError, SyntaxError, NameError):
                partner_domain = []  # the constraint says why on save
            if partner_domain:
                domain.append(("partner_id", "any", partner_domain))
            campaign.segment_count = scores.search_count(domain)
