"""Models of the app, one module per part (re-exported here)."""

from .debtors import *  # noqa: F401,F403
from .jpk import *  # noqa: F401,F403
