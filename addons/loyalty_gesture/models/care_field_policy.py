from odoo import api, models
from odoo.exceptions import UserError

# Fields that Odoo's own mechanisms write on any record a user may write: the chatter,
# activities, followers, the archive toggle. Everything else must be allowed by the model.
ALWAYS_WRITABLE = frozenset(
    {
        "active",
        "message_follower_ids",
        "message_ids",
        "message_main_attachment_id",
        "activity_ids",
        "website_message_ids",
        "rating_ids",
    }
)


class CareFieldPolicy(models.AbstractModel):
    """Who may set which field, in which state: an allow-list checked on create and write.

    A model of the suite inherits it and answers ``_care_writable_fields(operation)``
    with the fields the current user may set (``operation`` is ``"create"``, or
    ``"write"`` called once per record so the answer may depend on the record's state).
    Any other field is refused with a clear message: a field added later is closed
    until someone opens it on purpose (the deny-lists this replaces failed open).
    The superuser (``env.su``: the suite's own server code, crons, action methods)
    writes what it derives; the chatter, activity, follower and ``active`` fields stay
    writable wherever the record is.
    """

    _name = "care.field.policy"
    _description = "Customer care field allow-list"

    def _care_writable_fields(self, operation):
        """The fields the current user may set on ``self`` (one record, or empty on create)."""
        return set()

    def _care_refuse_fields(self, fields_refused):
        names = sorted(
            self._fields[name]._description_string(self.env) if name in self._fields else name
            for name in fields_refused
        )
        raise UserError(
            self.env._(
                "You cannot set %(fields)s on %(model)s.",
                fields=", ".join(names),
                model=self._description,
            )
        )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            allowed = self._care_writable_fields("create") | ALWAYS_WRITABLE
            for vals in vals_list:
                refused = vals.keys() - allowed
                if refused:
                    self._care_refuse_fields(refused)
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            for record in self:
                refused = vals.keys() - record._care_writable_fields("write") - ALWAYS_WRITABLE
                if refused:
                    record._care_refuse_fields(refused)
        return super().write(vals)
