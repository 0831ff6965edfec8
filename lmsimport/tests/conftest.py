"""The LMS import tests' fixtures: an LMS database created from ``lms.pgsql`` once per run
(``lmsimport/tests/lmsdb.py``) and filled by the generator (``generator.py``)."""

try:
    from lmsimport.tests.lmsdb import *  # noqa: F401,F403
except ModuleNotFoundError as _exc:  # until the fixture module exists
    if _exc.name != "lmsimport.tests.lmsdb":
        raise
