from odoo import models

# mail builds "<model description> created" from ir.model's name, which has no translation
# yet while the module installs (its demo records): whole sentences from this module's
# translations instead, never half French, half English.


class WinbackCampaign(models.Model):
    _inherit = "winback.campaign"  # pylint: disable=consider-merging-classes-inherited

    def _creation_message(self):
        return self.env._("Campaign created")


class WinbackCampaignMember(models.Model):
    _inherit = "winback.campaign.member"  # pylint: disable=consider-merging-classes-inherited

    def _creation_message(self):
        return self.env._("Campaign member added")
