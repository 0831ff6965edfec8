"""The import's stages in the order they run: each is ``(name, run(ctx))``, one module per
stage in ``lmsimport/stages/<name>.py`` (a stage whose module is not there yet is left
out of the run)."""

import importlib

# In dependency order: customers before what belongs to them, tariffs before the
# assignments' logins, documents before the cash ledger that settles them.
STAGE_NAMES = ("customers", "tariffs", "nodes", "documents", "cash", "helpdesk", "events",
               "voip")


def _stages() -> list:
    found = []
    for name in STAGE_NAMES:
        try:
            module = importlib.import_module(f"lmsimport.stages.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"lmsimport.stages.{name}":
                raise
            continue
        found.append((name, module.run))
    return found


STAGES = _stages()
