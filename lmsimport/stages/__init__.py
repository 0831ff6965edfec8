"""The import's stages in the order they run: each is ``(name, run(ctx))``."""

from . import customers

STAGES = [
    ("customers", customers.run),
]
