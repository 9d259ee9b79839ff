"""Campaigns started before the UTM get theirs: a UTM campaign and the sources of their
email steps, so that their mailings, opportunities and orders carry them from now on;
the confirmed orders that already used one of their coupons are stamped as new ones
are (``sale.order._winback_stamp_utm``: only those without a UTM of their own)."""

from odoo import SUPERUSER_ID, api
from odoo.tools import split_every


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    campaigns = env["winback.campaign"].search([("state", "!=", "draft")])
    for campaign in campaigns.filtered(lambda c: not c.utm_campaign_id):
        campaign.with_company(campaign.company_id)._utm_ensure()
    members = env["winback.campaign.member"].search(
        [
            ("campaign_id", "in", campaigns.ids),
            "|",
            ("gesture_id.coupon_card_id", "!=", False),
            ("reminder_gesture_id.coupon_card_id", "!=", False),
        ]
    )
    cards = members.gesture_id.coupon_card_id | members.reminder_gesture_id.coupon_card_id
    for chunk in split_every(10000, cards.ids):
        orders = env["sale.order"].search(
            [
                ("state", "=", "sale"),
                ("campaign_id", "=", False),
                ("order_line.coupon_id", "in", list(chunk)),
            ]
        )
        orders._winback_stamp_utm()
        env.flush_all()
        env.invalidate_all()
