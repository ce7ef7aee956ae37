from . import test_consent, test_outbox, test_outbox_robustness, test_security, test_send_policy
