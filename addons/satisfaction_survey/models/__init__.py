from . import followup_dispatch
from . import mail_thread
from . import satisfaction_campaign
from . import satisfaction_campaign_rule
from . import satisfaction_demo
from . import survey_question
from . import survey_user_input
from . import satisfaction_nps_report
