# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).

# Records the addon created that customers' history points to: the gesture coupon and
# points programs, their cards and the gift products on past orders.
KEPT_ON_UNINSTALL = ("loyalty.program", "loyalty.card", "product.product", "product.template")


def uninstall_hook(env):
    """Keep the programs, coupons and products of past gestures when the addon goes.

    Odoo would try to delete them with the addon's data; orders and customers' coupons
    still refer to them, so they become ordinary records instead: a coupon already given
    stays valid and past orders keep their lines.
    """
    env["ir.model.data"].search(
        [("module", "=", "loyalty_gesture"), ("model", "in", KEPT_ON_UNINSTALL)]
    ).unlink()
