from . import followup_dispatch, followup_policy, res_company, res_config_settings, res_partner
