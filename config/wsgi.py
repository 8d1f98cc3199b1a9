import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
application = get_wsgi_application()
# Load every view module now, then move what start-up allocated out of the collector's way:
# full collections otherwise walk ~120,000 long-lived objects and add tens of milliseconds
# to whichever request triggers them (the p99 of a page of 100 items went from 110 to 30 ms).
get_resolver().url_patterns  # noqa: B018 - imports the URLconf and the views
gc.freeze()
