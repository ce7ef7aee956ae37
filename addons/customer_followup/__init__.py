from . import controllers
from . import models
from . import tools
from . import wizard

from .models.mail_thread import SMART_BUTTON_KEY


def uninstall_hook(env):
    """The smart buttons are views made at run time, without an XML id: remove them."""
    env["ir.ui.view"].search([("key", "=like", SMART_BUTTON_KEY % "%")]).unlink()
