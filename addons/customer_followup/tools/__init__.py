from . import mime
from . import smtp
