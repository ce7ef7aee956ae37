from . import test_campaign
from . import test_answers
from . import test_webhook
from . import test_tour
