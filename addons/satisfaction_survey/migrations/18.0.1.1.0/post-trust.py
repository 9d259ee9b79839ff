"""Trust in every amount (issue #17), satisfaction surveys. Idempotent.

- ``answer_change_count`` is new: answers recorded before count no change (0).
- A survey request's source is one of the records the triggers ask about: a reference
  to any other model (only a forged one can be there) is cleared.
- Care managers no longer imply Survey administrators (who see every survey's
  answers); they keep the satisfaction surveys through their own rules. The group they
  were given through that implication is taken back, except from system administrators
  (Odoo's own administrators stay Survey administrators).
"""

import logging

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

SOURCE_MODELS = ("helpdesk.ticket", "sale.order", "loyalty.gesture", "res.partner")


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env.cr.execute(
        SQL(
            "UPDATE satisfaction_request SET answer_change_count = 0 "
            "WHERE answer_change_count IS NULL"
        )
    )
    env.cr.execute(
        SQL(
            "UPDATE satisfaction_request SET res_model = NULL, res_id = NULL "
            "WHERE res_model IS NOT NULL AND res_model != ALL(%s) RETURNING id",
            list(SOURCE_MODELS),
        )
    )
    cleared = [row[0] for row in env.cr.fetchall()]
    if cleared:
        _logger.warning("Survey requests with a forged source cleared: %s", cleared)
    care_manager = env.ref("loyalty_gesture.group_care_manager", raise_if_not_found=False)
    survey_manager = env.ref("survey.group_survey_manager", raise_if_not_found=False)
    system = env.ref("base.group_system")
    if not care_manager or not survey_manager:
        return
    care_manager.write({"implied_ids": [(3, survey_manager.id)]})
    users = (care_manager.users & survey_manager.users) - system.users
    if users:
        survey_manager.write({"users": [(3, user.id) for user in users]})
        _logger.info("Survey administrator group taken back from care managers %s", users.ids)
    env.invalidate_all()
