"""Django's PostgreSQL backend keeping ``abonent.tenant`` for row-level security.

``ENGINE = "core.postgresql"`` (config/settings.py picks it for PostgreSQL unless
``DB_RLS=False``). Why and how: ``core/rls.py``.
"""

from django.db.backends.postgresql import base

_SET = "SELECT set_config('abonent.tenant', %s, false)"  # core.rls.SETTING


def _scope() -> str:
    # Imported on first use: the backend loads while core.tenancy defines its models.
    global _scope
    from core.tenancy import database_scope as _scope

    return _scope()


class DatabaseWrapper(base.DatabaseWrapper):
    # What ``abonent.tenant`` holds on this connection; None: not known (a new connection,
    # or a rollback may have undone the last set_config).
    _rls_scope = None
    # Savepoint statements pass without a set_config: a savepoint is rolled back because
    # the transaction failed, and a failed transaction takes nothing but the rollback.
    _rls_paused = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Every query through Django's cursors passes here first.
        self.execute_wrappers.append(self._rls_execute)

    def rls_scope_sync(self) -> None:
        scope = _scope()
        if scope != self._rls_scope:
            # On psycopg's connection: not a query of the application's (nor counted).
            with self.wrap_database_errors:
                self.connection.execute(_SET, (scope,))
            self._rls_scope = scope

    def _rls_execute(self, execute, sql, params, many, context):
        if _scope() != self._rls_scope and not self._rls_paused:
            self.rls_scope_sync()
        return execute(sql, params, many, context)

    def _savepoint(self, sid):
        self._rls_paused = True
        try:
            return super()._savepoint(sid)
        finally:
            self._rls_paused = False

    def _savepoint_commit(self, sid):
        self._rls_paused = True
        try:
            return super()._savepoint_commit(sid)
        finally:
            self._rls_paused = False

    def connect(self):
        self._rls_scope = None
        super().connect()

    def _rollback(self):
        self._rls_scope = None
        return super()._rollback()

    def _savepoint_rollback(self, sid):
        self._rls_paused = True
        try:
            return super()._savepoint_rollback(sid)
        finally:
            self._rls_paused = False
            self._rls_scope = None

    def _close(self):
        self._rls_scope = None
        return super()._close()
