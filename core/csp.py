"""Exceptions to the Content-Security-Policy (settings ``CONTENT_SECURITY_POLICY``), each
named and explained here so a review sees them all."""

from csp.decorators import csp_update

# The API's Swagger UI and ReDoc pages (drf-spectacular's templates, our own static copies
# of the bundles) start with an inline script and style, and ReDoc draws with inline styles
# and a web worker from a blob. They show only the schema this code writes, no user data.
DOCS_PAGE_POLICY = {
    "script-src": ["'self'", "'unsafe-inline'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "worker-src": ["'self'", "blob:"],
}


def docs_page(view):
    """``view`` with ``DOCS_PAGE_POLICY`` in the enforced and the report-only policy alike."""
    return csp_update(DOCS_PAGE_POLICY)(csp_update(DOCS_PAGE_POLICY, REPORT_ONLY=True)(view))
