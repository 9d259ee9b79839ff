"""Campaigns started before the UTM get theirs: a UTM campaign and the sources of their
email steps, so that their mailings, opportunities and orders carry them from now on."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    campaigns = env["winback.campaign"].search(
        [("state", "!=", "draft"), ("utm_campaign_id", "=", False)]
    )
    for campaign in campaigns:
        campaign.with_company(campaign.company_id)._utm_ensure()
