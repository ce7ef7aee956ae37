from . import test_consent
from . import test_outbox
from . import test_send_policy
from . import test_outbox_robustness
from . import test_security
from . import test_rules
from . import test_delivery
from . import test_smtp_delivery
