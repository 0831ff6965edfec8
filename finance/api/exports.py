"""Finance API: exports."""


def register(router) -> None:
    """Add this part's viewsets to the router."""
