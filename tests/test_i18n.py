"""French is complete: every term the addons export has a French translation in fr.po.

The terms come from Odoo's own exporter run on the installed database (code strings,
views, data, demo), so a new string without its translation fails here; an empty msgstr,
or one equal to its msgid for a word that is not the same in French, fails too.
"""

import os

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

ADDONS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "addons")
CARE_MODULES = ("loyalty_gesture", "satisfaction_survey", "winback")
# Words spelled the same in French (and placeholders or code-like terms).
SAME_IN_FRENCH = {
    "Agent",
    "Manager",
    "Email",
    "Total",
    "Date",
    "Description",
    "Actions",
    "Action",
    "Type",
    "Note",
    "Points",
    "Coupon",
    "Coupons",
    "Code",
    "Contact",
    "Message",
    "Messages",
    "Score",
    "Scores",
    "Segment",
    "Source",
    "Statut",
    "Ticket",
    "Tickets",
    "Service",
    "Position",
    "Budget",
    "Campagne",
    "Client",
    "Détails",
    "Durée",
    "NPS",
    "CSAT",
    "RFM",
    "ROI",
    "Initial",
    "Standard",
    "Silver",
    "Gold",
    "VIP",
    "Portrait",
    "Portraits",
    "Transactions",
    "Promotion",
    "Performance",
    "Article",
    "Articles",
    "Options",
    "Format",
    "Commission",
    "Minimum",
    "Maximum",
    "Expiration",
    "Validation",
    "Notification",
    "Notifications",
    "Communication",
    "ID",
    "Satisfaction",
    "Dates",
    "Dormant",
    "CSAT (%)",
    "CSAT (1-5)",
    "NPS (0-10)",
    "ROI (%)",
    "ROI (A, %)",
    "ROI (B, %)",
    "portrait %(names)s",
    "Attentions",
    "Occurrence",
    "Configuration",
}


@tagged("post_install", "-at_install")
class TestFrenchTranslations(TransactionCase):
    def test_every_exported_term_is_translated(self):
        for module in CARE_MODULES:
            with self.subTest(module=module):
                po_path = os.path.join(ADDONS, module, "i18n", "fr.po")
                pot_path = os.path.join(ADDONS, module, "i18n", f"{module}.pot")
                self.assertTrue(os.path.exists(pot_path), f"{pot_path} is missing")
                self.assertTrue(os.path.exists(po_path), f"{po_path} is missing")
                catalog = {entry.msgid: entry.msgstr for entry in polib.pofile(po_path)}
                reader = TranslationModuleReader(self.env.cr, modules=[module])
                terms = {row[4] for row in reader if row[0] == module and row[4]}
                self.assertTrue(terms, "the exporter found no term at all")
                missing = sorted(t for t in terms if not catalog.get(t))
                self.assertFalse(missing, f"{len(missing)} terms without French: {missing[:15]}")
                untranslated = sorted(
                    t
                    for t in terms
                    if catalog.get(t) == t
                    and t not in SAME_IN_FRENCH
                    and any(c.isalpha() for c in t)
                    and not t.startswith(("{{", "<", "%"))
                )
                self.assertFalse(untranslated, f"msgstr equal to msgid: {untranslated[:15]}")
