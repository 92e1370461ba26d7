"""gunicorn's settings for newsroom, in development (`make run`) and production (systemd)."""

# The access log names the path without its query string: the Perspective-compatible API takes
# its key as `?key=`, as Perspective does, and a key must never reach a log file.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(f)s" "%(a)s"'
