"""The campaign emails become Email Marketing mailings, which a Care manager edits
without the Mail Template Editor right only if their placeholders are simple: the two
default templates still as shipped (they read the offer through ``object.gesture_id``)
take their new wording. Running campaigns keep their members; those emailed before have
no step mailing and are never emailed twice."""

from lxml import etree

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL
from odoo.tools.misc import file_open


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    with file_open("winback/data/mail_template_data.xml", "rb") as data:
        tree = etree.parse(data)
    updated = False
    for record in tree.iterfind(".//record"):
        template = env.ref(f"winback.{record.get('id')}", raise_if_not_found=False)
        if not template or "object.gesture_id" not in (template.body_html or ""):
            continue
        body = record.find("field[@name='body_html']")
        english = "".join(etree.tostring(node, method="html", encoding="unicode") for node in body)
        # the old translations word the old placeholders: the new ones come from the .po
        env.execute_query(
            SQL(
                "UPDATE mail_template SET body_html = jsonb_build_object('en_US', %s::text) "
                "WHERE id = %s",
                english,
                template.id,
            )
        )
        updated = True
    if updated:
        env.invalidate_all()
        languages = [code for code, _name in env["res.lang"].get_installed() if code != "en_US"]
        env["ir.module.module"]._load_module_terms(["winback"], languages, overwrite=True)
