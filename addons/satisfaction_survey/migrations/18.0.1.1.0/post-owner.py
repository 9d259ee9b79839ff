"""Every survey request gets an owner (issue #19): the ticket's agent, else the team
leader, else the salesperson, else a Customer Care manager; open follow-up activities
left to the administrator go to that owner. Idempotent: only empty owners are filled,
only activities of the administrator that differ from the owner are moved."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    requests = env["satisfaction.request"].with_context(active_test=False)
    requests.search([("user_id", "=", False)])._compute_user_id()
    admin = env.ref("base.user_admin", raise_if_not_found=False)
    followup = env.ref(
        "satisfaction_survey.mail_activity_type_satisfaction_followup", raise_if_not_found=False
    )
    if not admin or not followup:
        return
    activities = env["mail.activity"].search(
        [
            ("res_model", "=", "satisfaction.request"),
            ("activity_type_id", "=", followup.id),
            ("user_id", "=", admin.id),
        ]
    )
    owners = {r.id: r.user_id for r in requests.browse(activities.mapped("res_id")).exists()}
    for activity in activities:
        owner = owners.get(activity.res_id)
        if owner and owner != admin:
            activity.user_id = owner
