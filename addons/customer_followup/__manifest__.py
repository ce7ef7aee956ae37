{
    "name": "Customer Follow-up",
    "summary": "One outbox and one send policy for every customer e-mail and SMS: "
    "consent, working hours, caps, exactly-once delivery",
    "version": "18.0.1.2.0",
    "category": "Marketing",
    "website": "https://github.com/customer-followup/customer-followup",
    "author": "Customer Follow-up Team",
    "maintainers": ["customer-followup"],
    "license": "LGPL-3",
    "development_status": "Beta",
    "depends": ["mail", "sms", "phone_validation", "resource", "account"],
    "external_dependencies": {"python": ["phonenumbers"]},
    "data": [
        "security/followup_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "data/followup_policy_data.xml",
        "data/followup_dunning_data.xml",
        "views/followup_dispatch_views.xml",
        "views/followup_policy_views.xml",
        "wizard/followup_rule_bulk_edit_views.xml",
        "views/followup_rule_views.xml",
        "views/followup_dunning_views.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "views/followup_menus.xml",
    ],
    "demo": [
        "demo/followup_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "customer_followup/static/tests/tours/*.js",
        ],
    },
    "application": True,
    "uninstall_hook": "uninstall_hook",
}
