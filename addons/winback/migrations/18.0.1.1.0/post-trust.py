"""Win-back emails announce an offer only once its gesture is granted (issue #17).

The two campaign templates are ``noupdate`` data: an upgrade keeps the stored body, so
the condition is changed in place, in every language, where the body still has the
old one (a template the administrator rewrote is left alone). Idempotent.
"""

import json

from odoo.tools import SQL

GRANTED = "in ('done', 'followed_up')"
CHANGES = {
    "mail_template_winback_offer": [
        ('<p t-if="object.gesture_id">', f'<p t-if="object.gesture_id.state {GRANTED}">'),
    ],
    "mail_template_winback_reminder": [
        (
            '<t t-set="offer" t-value="object.reminder_gesture_id or object.gesture_id"',
            '<t t-set="offer" t-value="object.reminder_gesture_id if '
            f'object.reminder_gesture_id.state {GRANTED} else object.gesture_id"',
        ),
        ('<p t-if="offer">', f'<p t-if="offer.state {GRANTED}">'),
    ],
}


def migrate(cr, version):
    for name, replacements in CHANGES.items():
        cr.execute(
            SQL(
                """
                SELECT t.id, t.body_html FROM mail_template t
                  JOIN ir_model_data d ON d.res_id = t.id AND d.model = 'mail.template'
                 WHERE d.module = 'winback' AND d.name = %s
                """,
                name,
            )
        )
        for template_id, body in cr.fetchall():
            changed = {}
            for lang, text in (body or {}).items():
                new = text
                for old, replacement in replacements:
                    new = new.replace(old, replacement) if new else new
                if new != text:
                    changed[lang] = new
            if changed:
                cr.execute(
                    SQL(
                        "UPDATE mail_template SET body_html = body_html || %s::jsonb WHERE id = %s",
                        json.dumps(changed),
                        template_id,
                    )
                )
