def tenant(request):
    return {"active_tenant": getattr(request, "tenant", None)}
