from . import mailing_mailing_test, winback_lost_wizard
