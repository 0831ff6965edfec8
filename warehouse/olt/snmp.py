"""Reading an ONT's status over SNMP v2c with pysnmp (7.x, asyncio: ``get`` runs its own
short event loop, so it is called from synchronous code, never inside a transaction).

``get`` asks for the named OIDs in one GET and returns ``{name: value}`` — an ``int``
for integer types, ``str`` for others, ``None`` for an OID the agent does not have — or
raises ``SnmpError`` (no answer in time, or an error status) with a message for staff.
"""

import asyncio

from django.utils.translation import gettext as _


class SnmpError(Exception):
    def __init__(self, message: str, *, timeout: bool = False):
        super().__init__(message)
        self.timeout = timeout


def get(*, address: str, port: int, community: str, oids: dict[str, str],
        timeout: float, retries: int) -> dict[str, int | str | None]:
    return asyncio.run(_get(address, port, community, oids, timeout, retries))


async def _get(address, port, community, oids, timeout, retries):
    from pyasn1.type.univ import Integer
    from pysnmp.hlapi.v3arch.asyncio import (
        CommunityData,
        ContextData,
        ObjectIdentity,
        ObjectType,
        SnmpEngine,
        UdpTransportTarget,
        get_cmd,
    )
    from pysnmp.proto.rfc1905 import EndOfMibView, NoSuchInstance, NoSuchObject

    engine = SnmpEngine()
    try:
        target = await UdpTransportTarget.create((address, port), timeout=timeout,
                                                 retries=retries)
        names = list(oids)
        error_indication, error_status, error_index, var_binds = await get_cmd(
            # OLTs publish their ONT tables over v2c; the community is read-only.
            engine, CommunityData(community, mpModel=1), target, ContextData(),  # noqa: S508
            *[ObjectType(ObjectIdentity(oids[name])) for name in names])
    finally:
        engine.close_dispatcher()
    if error_indication:
        text = str(error_indication)
        raise SnmpError(_("The OLT did not answer SNMP within %(s)s s.") % {"s": f"{timeout:g}"}
                        if "timeout" in text.lower() else
                        _("SNMP error: %(e)s") % {"e": text[:200]},
                        timeout="timeout" in text.lower())
    if error_status:
        raise SnmpError(_("The OLT's SNMP agent answered: %(e)s") % {
            "e": error_status.prettyPrint()})
    values: dict[str, int | str | None] = {}
    for name, (_oid, value) in zip(names, var_binds, strict=True):
        if value is None or isinstance(value, NoSuchInstance | NoSuchObject | EndOfMibView):
            values[name] = None
        elif isinstance(value, Integer):  # Integer32, Gauge32, Counter32, TimeTicks …
            values[name] = int(value)
        else:
            values[name] = value.prettyPrint()
    return values
