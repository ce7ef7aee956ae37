from odoo import models


class IrModuleModule(models.Model):
    _inherit = "ir.module.module"

    def _load_module_terms(self, modules, langs, overwrite=False, imported_module=False):
        res = super()._load_module_terms(modules, langs, overwrite=overwrite, imported_module=imported_module)
        # a language installed after the rules: their run-time smart buttons speak it too
        if self.env.registry.ready:
            for model_name in self.env.registry.descendants(["followup.rule.mixin"], "_inherit"):
                self.env[model_name]._refresh_smart_buttons()
        return res
