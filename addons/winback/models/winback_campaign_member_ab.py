from odoo import fields, models


class WinbackCampaignMember(models.Model):
    """A member's side of the campaign's A/B test of offers (see ``winback_campaign_ab``)."""

    _inherit = "winback.campaign.member"  # pylint: disable=consider-merging-classes-inherited

    offer_variant = fields.Selection([("a", "Offer A"), ("b", "Offer B")], readonly=True)
    awaiting_winner = fields.Boolean(
        string="Awaiting the winner",
        readonly=True,
        help="Outside the A/B test's share: contacted only once the winning offer is sent, "
        "with that offer.",
    )
    winner_wave = fields.Boolean(
        string="Got the winner",
        readonly=True,
        help="Contacted with the winning offer after the A/B test (or joined the campaign "
        "after it): left out of the test's figures.",
    )
