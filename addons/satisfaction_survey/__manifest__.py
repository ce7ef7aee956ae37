{
    "name": "Satisfaction Survey Campaigns",
    "summary": "Ask every customer, once and at the right moment, how the job went: "
    "surveys after work orders and field jobs, reminders, mute periods, alerts, NPS and CSAT",
    "version": "18.0.1.1.0",
    "category": "Marketing/Surveys",
    "website": "https://github.com/customer-followup/customer-followup",
    "author": "Customer Follow-up Team",
    "maintainers": ["customer-followup"],
    "license": "LGPL-3",
    "development_status": "Beta",
    "depends": ["customer_followup", "survey"],
    "data": [
        "security/satisfaction_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "data/mail_template_data.xml",
        "views/satisfaction_campaign_views.xml",
        "views/survey_user_input_views.xml",
        "views/survey_question_views.xml",
        "views/satisfaction_menus.xml",
    ],
    "demo": [
        "demo/satisfaction_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "satisfaction_survey/static/tests/tours/*.js",
        ],
    },
}
