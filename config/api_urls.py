"""Every API route under /api/v1/: apps add their viewsets to the one router."""

from rest_framework.routers import DefaultRouter

router = DefaultRouter()

urlpatterns = router.urls
