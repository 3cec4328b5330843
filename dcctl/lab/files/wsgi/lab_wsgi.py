"""Gunicorn entry point for the lab's OpenStack APIs (runs inside the lab venv).

OpenStack's WSGI modules read ``sys.argv`` for their options, and under gunicorn
that is gunicorn's own command line; this wrapper replaces it with the service's
arguments (``DCCTL_LAB_ARGS``, a JSON list) before importing the app module
named by ``DCCTL_LAB_WSGI``.
"""

import importlib
import json
import os
import sys

sys.argv = [os.environ.get("DCCTL_LAB_PROG", "lab-api")] + json.loads(os.environ.get("DCCTL_LAB_ARGS", "[]"))
application = importlib.import_module(os.environ["DCCTL_LAB_WSGI"]).application
