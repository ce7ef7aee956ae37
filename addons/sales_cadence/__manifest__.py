{
    "name": "Sales Cadences",
    "summary": "Multi-step, multi-channel prospecting cadences on leads: automatic e-mails and SMS "
    "through the follow-up outbox, calls and tasks in the salesperson's activities",
    "version": "18.0.1.1.0",
    "category": "Sales/CRM",
    "website": "https://github.com/customer-followup/customer-followup",
    "author": "Customer Follow-up Team",
    "maintainers": ["customer-followup"],
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["customer_followup", "crm"],
    "data": [
        "security/sales_cadence_security.xml",
        "security/ir.model.access.csv",
        "data/sales_cadence_data.xml",
        "data/ir_cron_data.xml",
        "wizard/sales_cadence_enroll_views.xml",
        "wizard/sales_cadence_skip_views.xml",
        "views/sales_cadence_views.xml",
        "views/sales_cadence_enrollment_views.xml",
        "views/sales_cadence_task_views.xml",
        "views/crm_lead_views.xml",
        "views/res_config_settings_views.xml",
        "views/sales_cadence_menus.xml",
        "views/sales_cadence_unsubscribe_templates.xml",
    ],
    "demo": [
        "demo/sales_cadence_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "sales_cadence/static/tests/tours/*.js",
        ],
    },
}
