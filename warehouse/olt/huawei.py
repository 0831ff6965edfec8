"""Huawei SmartAX MA5600T/MA5800 (the OLT's CLI, V800R0xx/V100R0xx).

Modes: ``MA5800-X7>`` → ``enable`` → ``#`` → ``config`` → ``(config)#`` → ``interface gpon
F/S`` → ``(config-if-gpon-F/S)#``; ``quit`` goes one mode back, ``return`` to ``#``. An
ONT is ``ont … <port> <ont id>`` in the GPON board's interface; its traffic is a
service port in config mode. Refusals are ``Failure: …`` lines and ``% Unknown command`` /
``% Parameter error`` under a caret.

SNMP (HUAWEI-XPON-MIB), indexed ``<ifIndex of the GPON port>.<ONT id>``, the ifIndex
of frame 0 being 4194304000 + slot·8192 + port·256 (0/1/0 → 4194312192):
``hwGponOntOpticalDdmRxPower`` …2011.6.128.1.1.2.51.1.4 in 0.01 dBm (2147483647: no
value) and ``hwGponDeviceOntControlRunStatus`` …2011.6.128.1.1.2.46.1.15 (1 online,
2 offline).
"""

import re
from decimal import Decimal

from .base import Place, Profile, Reading, Step, Vendor, decimal_or_none

RX_POWER_OID = "1.3.6.1.4.1.2011.6.128.1.1.2.51.1.4"
RUN_STATUS_OID = "1.3.6.1.4.1.2011.6.128.1.1.2.46.1.15"
NO_VALUE = 2147483647
RUN_STATES = {1: "online", 2: "offline"}
# The VLAN the service port uses is that of the ONT's first GEM port (the line profile
# maps GEM 1 to the subscriber's traffic).
GEM_PORT = 1


def if_index(place: Place) -> int | None:
    """The ifIndex of the GPON port; None outside frame 0 (the encoding is documented
    for frame 0 only: read such ONTs over the CLI)."""
    if place.frame != 0:
        return None
    return 4194304000 + place.slot * 8192 + place.port * 256


def serial_hex(serial: str) -> str:
    """``HWTCC0FFEE01`` → ``48575443C0FFEE01``: the form ``sn-auth`` takes everywhere."""
    return serial[:4].encode("ascii").hex().upper() + serial[4:]


class Huawei(Vendor):
    code = "huawei"
    ont_ids = range(0, 128)
    error_line = re.compile(
        r"^\s*(Failure:.*|% ?(Unknown command|Parameter error|Incomplete command|Ambiguous"
        r" command|Too many parameters|Wrong parameter).*|Error:.*)$", re.MULTILINE)
    config_enter = (Step("config"),)
    config_leave = (Step("return"),)

    def netmiko_class(self):
        from netmiko.huawei.huawei_smartax import HuaweiSmartAXSSH

        return HuaweiSmartAXSSH

    @staticmethod
    def _interface(place: Place) -> Step:
        return Step(f"interface gpon {place.frame}/{place.slot}")

    @staticmethod
    def _delete(place: Place) -> Step:
        # An ONT the OLT no longer has is removed already (and taking back an "ont add"
        # that may not have arrived is then no failure).
        return Step(f"ont delete {place.port} {place.ont_id}", changes=True,
                    tolerate=r"ONT does not exist")

    def _service_port_undo(self, place: Place) -> Step:
        return Step(f"undo service-port port {place.port_text} ont {place.ont_id}",
                    question=r"\(y/n\)\[n\]:", changes=True,
                    tolerate=r"No service virtual port")

    def _service_port(self, place: Place, profile: Profile) -> Step:
        return Step(f"service-port vlan {profile.vlan} gpon {place.port_text} ont "
                    f"{place.ont_id} gemport {GEM_PORT} multi-service user-vlan {profile.vlan}"
                    " tag-transform translate", changes=True,
                    undo=(self._service_port_undo(place),))

    def register(self, place, serial, profile, *, onu_type=""):
        """``config``, ``interface gpon F/S``, ``ont add P ID sn-auth <hex serial> omci
        ont-lineprofile-name L ont-srvprofile-name S``, ``quit``, ``service-port vlan V gpon
        F/S/P ont ID gemport 1 multi-service user-vlan V tag-transform translate``,
        ``return``. Undone by ``ont delete`` (and ``undo service-port``)."""
        interface = self._interface(place)
        add = Step(f"ont add {place.port} {place.ont_id} sn-auth {serial_hex(serial)} omci "
                   f"ont-lineprofile-name {profile.line} ont-srvprofile-name {profile.service}",
                   changes=True,
                   undo=(interface, self._delete(place), Step("quit")))
        return [*self.config_enter, interface, add, Step("quit"),
                self._service_port(place, profile), *self.config_leave]

    def profile(self, place, profile):
        """``ont modify P ID ont-lineprofile-name L ont-srvprofile-name S`` in the port's
        interface, then the service port again for the VLAN: ``undo service-port port
        F/S/P ont ID`` (confirmed ``y``) and ``service-port vlan V …``."""
        return [*self.config_enter, self._interface(place),
                Step(f"ont modify {place.port} {place.ont_id} ont-lineprofile-name "
                     f"{profile.line} ont-srvprofile-name {profile.service}", changes=True),
                Step("quit"), self._service_port_undo(place),
                self._service_port(place, profile), *self.config_leave]

    def reset(self, place):
        """``ont reset P ID`` in the port's interface, confirmed with ``y``."""
        return [*self.config_enter, self._interface(place),
                Step(f"ont reset {place.port} {place.ont_id}", question=r"\(y/n\)\[n\]:",
                     changes=True), *self.config_leave]

    def remove(self, place):
        """``undo service-port port F/S/P ont ID`` (``y``; none is no failure), then ``ont
        delete P ID`` in the port's interface."""
        return [*self.config_enter, self._service_port_undo(place), self._interface(place),
                self._delete(place), *self.config_leave]

    def status(self, place):
        """``display ont info P ID`` (run state) and ``display ont optical-info P ID``
        (Rx optical power; an ONT that is not online has none) in the port's interface."""
        return [*self.config_enter, self._interface(place),
                Step(f"display ont info {place.port} {place.ont_id}"),
                Step(f"display ont optical-info {place.port} {place.ont_id}",
                     tolerate=r"not online"), *self.config_leave]

    def status_read(self, outputs):
        text = "\n".join(outputs)
        state = re.search(r"^\s*Run state\s*:\s*(\S+)", text, re.MULTILINE)
        power = re.search(r"^\s*Rx optical power\(dBm\)\s*:\s*(-?\d+(?:\.\d+)?)\s*$", text,
                          re.MULTILINE)
        word = state.group(1).lower() if state else ""
        return Reading(online={"online": True, "offline": False}.get(word), state=word,
                       rx_dbm=decimal_or_none(power.group(1) if power else None))

    def snmp_oids(self, place):
        index = if_index(place)
        if index is None:
            return None
        return {"rx": f"{RX_POWER_OID}.{index}.{place.ont_id}",
                "run": f"{RUN_STATUS_OID}.{index}.{place.ont_id}"}

    def snmp_read(self, values):
        rx, run = values.get("rx"), values.get("run")
        rx_dbm = None
        if isinstance(rx, int) and rx != NO_VALUE:
            rx_dbm = (Decimal(rx) / 100).quantize(Decimal("0.01"))
        state = RUN_STATES.get(run, "") if isinstance(run, int) else ""
        return Reading(online={"online": True, "offline": False}.get(state), state=state,
                       rx_dbm=rx_dbm, source="snmp")
