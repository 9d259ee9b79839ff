# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "Satisfaction Surveys",
    "summary": "One-click CSAT and NPS surveys after tickets, orders and gestures",
    "version": "18.0.1.0.0",
    "category": "After-Sales",
    "license": "AGPL-3",
    "author": "Customer Care Suite",
    "website": "https://github.com/customer-care-suite/odoo-customer-care",
    "development_status": "Alpha",
    "depends": ["loyalty_gesture", "survey"],
    "data": ["views/satisfaction_survey_menus.xml"],
    "installable": True,
}
