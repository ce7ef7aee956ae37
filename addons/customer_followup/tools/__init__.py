from . import mime
