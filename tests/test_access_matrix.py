"""Access matrix over every model of the three addons, for real users of each kind.

Table-driven: the expectations come from what the role should be allowed, not from the
ACL files, so a missing or too generous access line fails here.
"""

from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, tagged

CARE_MODULES = ("loyalty_gesture", "satisfaction_survey", "winback")
OPERATIONS = ("read", "write", "create", "unlink")

# Models agents only read (catalog and configuration a manager keeps); absent models are
# skipped, so the table can name what a module adds before it is installed.
AGENT_READ_ONLY = {
    "loyalty.gesture.type",
    "loyalty.gesture.purpose",
    "loyalty.gesture.channel",
    "loyalty.gesture.charter",
    "loyalty.gesture.charter.rule",
    "loyalty.gesture.portrait",
    "loyalty.gesture.portrait.criterion",
    "care.contact.log",
    "care.attention.rule",
    "care.attention",
    "winback.campaign",
    "winback.campaign.member",
    "winback.campaign.step",
    "winback.lost.reason",
}
# Models only managers read, written by the system alone: the figures computed each night
# (agents see the gesture effects only through the grant wizard's recommendation, issue 23)
# and the churn model's fits.
MANAGER_READ_ONLY = {"loyalty.gesture.effect", "winback.churn.fit"}


@tagged("post_install", "-at_install")
class TestAccessMatrix(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = {
            "public": cls.env.ref("base.public_user"),
            "portal": mail_new_test_user(
                cls.env, login="matrix_portal", groups="base.group_portal"
            ),
            "internal": mail_new_test_user(
                cls.env, login="matrix_internal", groups="base.group_user"
            ),
            "agent": mail_new_test_user(
                cls.env, login="matrix_agent", groups="loyalty_gesture.group_care_agent"
            ),
            "manager": mail_new_test_user(
                cls.env, login="matrix_manager", groups="loyalty_gesture.group_care_manager"
            ),
        }
        data = cls.env["ir.model.data"].search(
            [("module", "in", CARE_MODULES), ("model", "=", "ir.model")]
        )
        models = cls.env["ir.model"].browse(data.mapped("res_id"))
        cls.care_models = [
            m.model
            for m in models
            if cls.env[m.model]._original_module in CARE_MODULES
            and not cls.env[m.model]._transient
            and not cls.env[m.model]._abstract
        ]

    def allowed(self, role, model, operation):
        return self.env[model].with_user(self.users[role]).has_access(operation)

    def test_care_modules_define_models(self):
        self.assertIn("loyalty.gesture", self.care_models)
        self.assertIn("loyalty.gesture.type", self.care_models)

    def test_outsiders_get_nothing(self):
        for model in self.care_models:
            for role in ("public", "portal", "internal"):
                for operation in ("write", "create", "unlink"):
                    with self.subTest(model=model, role=role, operation=operation):
                        self.assertFalse(self.allowed(role, model, operation))
                if role != "portal" and not model.endswith(".report"):
                    with self.subTest(model=model, role=role, operation="read"):
                        self.assertFalse(self.allowed(role, model, "read"))

    def test_agents_and_managers(self):
        for model in self.care_models:
            if model in MANAGER_READ_ONLY:
                with self.subTest(model=model):
                    self.assertFalse(self.allowed("agent", model, "read"))
                    self.assertTrue(self.allowed("manager", model, "read"))
                    for operation in ("write", "create", "unlink"):
                        self.assertFalse(self.allowed("manager", model, operation), operation)
                continue
            with self.subTest(model=model):
                self.assertTrue(
                    self.allowed("agent", model, "read"), "agents read every care model"
                )
                self.assertTrue(self.allowed("manager", model, "read"))
                self.assertTrue(
                    self.allowed("manager", model, "write") or model.endswith(".report"),
                    "managers keep every care model",
                )
                if model in AGENT_READ_ONLY:
                    for operation in ("write", "create", "unlink"):
                        self.assertFalse(self.allowed("agent", model, operation), operation)

    def test_agent_is_refused_what_only_a_manager_may_do(self):
        with self.assertRaises(AccessError):
            self.env["loyalty.gesture.type"].with_user(self.users["agent"]).create(
                {"name": "Agent-made type"}
            )

    def test_company_models_have_company_rules(self):
        rules = self.env["ir.rule"].sudo().search([])
        ruled = set(rules.mapped("model_id.model"))
        for model in self.care_models:
            if (
                "company_id" in self.env[model]._fields
                and self.env[model]._fields["company_id"].store
            ):
                with self.subTest(model=model):
                    self.assertIn(model, ruled, "a model with a company needs a multi-company rule")
