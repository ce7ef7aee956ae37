from . import mime
from . import smtp
from . import formatting
