import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()

# FreeRADIUS's rlm_rest calls skip the staff pages' middleware (radius/fastpath.py).
from radius.fastpath import RadiusFastPath  # noqa: E402

application = RadiusFastPath(django_application)
