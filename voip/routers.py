"""Asterisk's database (``ASTERISK_DATABASE_URL``, alias ``asterisk``) has Asterisk's own
schema, made by Asterisk's alembic migrations: Django never migrates it, and no model is
read from or written to it — ``voip.asterisk`` writes its tables by SQL."""

ASTERISK = "asterisk"


class AsteriskRouter:
    def allow_migrate(self, db, app_label, **hints):
        return False if db == ASTERISK else None
