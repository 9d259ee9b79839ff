from . import winback_lost_wizard
from . import mailing_mailing_test
