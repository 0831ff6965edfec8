"""The messaging tests' fixtures, one module per part (real servers start once per run)."""

from .fixtures_auto import *  # noqa: F403
from .fixtures_bulk import *  # noqa: F403
from .fixtures_card import *  # noqa: F403
from .fixtures_email import *  # noqa: F403
from .fixtures_notice import *  # noqa: F403
from .fixtures_sms import *  # noqa: F403
