"""Models of the app, one module per part (re-exported here)."""

from .offline import *  # noqa: F401,F403
from .pipeline import *  # noqa: F401,F403
