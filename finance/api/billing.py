"""Finance API: billing."""


def register(router) -> None:
    """Add this part's viewsets to the router."""
