from odoo import api, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval


class CarePartnerFilterMixin(models.AbstractModel):
    """A customer filter: the ``partner_domain`` (a domain on contacts) of the model.

    One check on save and one way to read it, for every model with such a filter
    (attention rules, charter rules, win-back campaigns). A model adopts it with
    ``_inherit = [..., "care.partner.filter.mixin"]``, keeps its own ``partner_domain``
    Char field (its label and help) and ``company_id``, and may override
    :meth:`_partner_filter_error` for its own message.
    """

    _name = "care.partner.filter.mixin"
    _description = "Customer care customer filter"

    @api.constrains("partner_domain")
    def _check_partner_domain(self):
        partners = self.env["res.partner"]
        for record in self:
            try:
                with self.env.cr.savepoint():
                    partners.search_count(record._partner_domain(), limit=1)
            except Exception as error:
                raise ValidationError(record._partner_filter_error(error)) from error

    def _partner_filter_error(self, error):
        """The message of an invalid filter (``error``: what went wrong)."""
        return self.env._("The customer filter of rule %(rule)s is invalid.", rule=self.name)

    def _partner_domain(self):
        """The filter as a domain (a list; empty: every customer)."""
        self.ensure_one()
        domain = safe_eval(self.partner_domain or "[]")
        if not isinstance(domain, list | tuple):
            raise ValueError(self.env._("a domain is a list of conditions"))
        return list(domain)

    def _partner_filter_sql(self, column):
        """SQL: the partner id ``column`` passes the filter (TRUE without one), in the
        record's company."""
        domain = self._partner_domain()
        if not domain:
            return SQL("TRUE")
        query = self.env["res.partner"].with_company(self.company_id)._search(domain)
        return SQL("%s IN %s", column, query.subselect())
