from . import winback_lost_wizard
