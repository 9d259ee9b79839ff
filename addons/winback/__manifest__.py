# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "Win-back",
    "summary": "Detect lost and dormant customers and win them back with campaigns",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "license": "AGPL-3",
    "author": "Customer Care Suite",
    "website": "https://github.com/customer-care-suite/odoo-customer-care",
    "development_status": "Alpha",
    "depends": ["satisfaction_survey", "crm", "mass_mailing"],
    "data": ["views/winback_menus.xml"],
    "installable": True,
}
