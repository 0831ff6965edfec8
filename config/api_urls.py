"""Every API route under /api/v1/: apps add their viewsets to the one router."""

from rest_framework.routers import DefaultRouter

from accounting import api as accounting_api
from core import access_api, tokens_api
from customers import api as customers_api
from documents import api as documents_api
from finance import api as finance_api
from helpdesk import api as helpdesk_api
from ksef import api as ksef_api
from lmsimport import api as lmsimport_api
from mailhosting import api as mailhosting_api
from messaging import api as messaging_api
from radius import api as radius_api
from voip import api as voip_api
from warehouse import api as warehouse_api

app_name = "api"

router = DefaultRouter()
access_api.register(router)
tokens_api.register(router)
customers_api.register(router)
documents_api.register(router)
finance_api.register(router)
radius_api.register(router)
messaging_api.register(router)
mailhosting_api.register(router)
helpdesk_api.register(router)
ksef_api.register(router)
lmsimport_api.register(router)
accounting_api.register(router)
voip_api.register(router)
warehouse_api.register(router)

urlpatterns = router.urls
