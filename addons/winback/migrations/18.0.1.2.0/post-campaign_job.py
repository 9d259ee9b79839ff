"""Campaigns started before the background job were targeted at their start: say so, or
the job would target them again (and take in newcomers a campaign that is not continuous
must not get)."""

from odoo.tools import SQL


def migrate(cr, version):
    cr.execute(
        SQL(
            """
            UPDATE winback_campaign
               SET targeted_date = COALESCE(date_start, create_date)
             WHERE state != 'draft' AND targeted_date IS NULL
            """
        )
    )
