from odoo import api, models
from odoo.exceptions import ValidationError


class WinbackCampaign(models.Model):
    """The value of a campaign's offers: the gesture type's default, or for a type whose
    value is not chosen (a gift, a free delivery...) the one the gesture pipeline gives
    it; never above the type's maximum. Offer A and an A/B test's offer B alike."""

    _inherit = "winback.campaign"  # pylint: disable=consider-merging-classes-inherited

    @api.depends("gesture_type_id")
    def _compute_offer_value(self):
        for campaign in self:
            campaign.offer_value = campaign._default_offer_value(campaign.gesture_type_id)

    def _default_offer_value(self, gesture_type):
        """An offer's value until the manager chooses one: the type's default, or for a
        type whose value is not chosen, the value the gesture pipeline gives it."""
        if gesture_type and not gesture_type._is_valued():
            return self._derived_offer_value(gesture_type)
        return gesture_type.default_value

    def _derived_offer_value(self, gesture_type):
        """The value the gesture pipeline gives an offer whose value is not chosen (a gift,
        a free delivery...): the value of a draft gesture of ``gesture_type``."""
        self.ensure_one()
        if not gesture_type:
            return 0.0
        draft = self.env["loyalty.gesture"].new(
            {"type_id": gesture_type.id, "company_id": self.company_id.id}
        )
        return draft.value

    @api.constrains("gesture_type_id", "offer_value", "reminder_offer_value", "company_id")
    def _check_offer(self):
        """The offers a campaign makes stay within what its gesture type allows.

        The charter checks each gesture again when it is granted; refusing here tells the
        manager at once, not when the campaign starts or the reminder goes.
        """
        for campaign in self:
            gesture_type = campaign.gesture_type_id
            if not gesture_type:
                continue
            campaign._check_offer_value(gesture_type, campaign.offer_value)
            campaign._check_offer_maximum(gesture_type, campaign.reminder_offer_value)
            if campaign.reminder_offer_value and not gesture_type._is_valued():
                raise ValidationError(
                    self.env._(
                        '"%(type)s" is not a valued gesture: the reminder cannot offer more.',
                        type=gesture_type.display_name,
                    )
                )

    def _check_offer_value(self, gesture_type, value):
        """An offer of ``value`` stays under its type's maximum; a type whose value is
        not chosen takes the value the gesture pipeline gives it."""
        self._check_offer_maximum(gesture_type, value)
        if gesture_type._is_valued():
            return
        derived = self._derived_offer_value(gesture_type)
        if self.currency_id.compare_amounts(value, derived):
            raise ValidationError(
                self.env._(
                    'The value of a "%(type)s" offer is set by its gesture type (%(value)s), '
                    "not by the campaign.",
                    type=gesture_type.display_name,
                    value=derived,
                )
            )

    def _check_offer_maximum(self, gesture_type, value):
        top = gesture_type.max_value
        if top and value > top:
            raise ValidationError(
                self.env._(
                    'The offer of %(value)s is above the maximum of %(max)s for "%(type)s".',
                    value=value,
                    max=top,
                    type=gesture_type.display_name,
                )
            )
