from . import test_cadence
from . import test_tour
from . import test_webhook
from . import test_unsubscribe
