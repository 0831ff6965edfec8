"""ZTE ZXA10 C300/C320 (ZXAN CLI).

Modes: ``ZXAN#`` → ``configure terminal`` → ``ZXAN(config)#`` → ``interface
gpon-olt_S/L/P`` (the PON port: shelf/slot/port) or ``interface gpon-onu_S/L/P:ID`` (one
ONU) → ``ZXAN(config-if)#``; ``pon-onu-mng gpon-onu_S/L/P:ID`` → ``ZXAN(gpon-onu-mng)#``
(what the OLT tells the ONU over OMCI); ``exit`` one mode back, ``end`` to ``#``. An ONU
is registered on its port by ``onu ID type TYPE sn SERIAL`` — TYPE an ONU type the OLT
knows (``ZTE-F660``): the product's model. Refusals are ``%Error NNNNN: …`` and
``%Code NNNNN-GPONSRV : …`` lines.

The tariff's profile maps onto ZTE's words: the line profile is the T-CONT's bandwidth
(``tcont 1 profile …``), the service profile the name of the ONU's service
(``service NAME gemport 1 vlan V``), the VLAN the service port's and the ONU port's.

SNMP (ZXGPON-SERVICE-MIB), indexed ``<ONU index of the port>.<ONU id>`` with the port's
index 0x1000_0000 + (shelf−1)·2²⁴ + slot·2¹⁶ + port·2⁸ (1/2/1 → 268566784):
``zxGponOntPhaseState`` …3902.1012.3.28.2.1.4 (0 logging, 1 LOS, 2 syncMib, 3 working,
4 dyingGasp, 5 authFailed, 6 offline) and the ONU's receive power …3902.1012.3.50.12.1.1.10
(index ``….1``, the optical module) as a raw value: dBm = raw·0.002 − 30; 0 and 65535 mean
no value.
"""

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .base import Place, Reading, Step, Vendor, decimal_or_none, onu_type_clean

PHASE_STATE_OID = "1.3.6.1.4.1.3902.1012.3.28.2.1.4"
RX_POWER_OID = "1.3.6.1.4.1.3902.1012.3.50.12.1.1.10"
PHASES = {0: "logging", 1: "LOS", 2: "syncMib", 3: "working", 4: "dyingGasp",
          5: "authFailed", 6: "offline"}


def onu_index(place: Place) -> int:
    return 0x10000000 + ((place.frame - 1) << 24) + (place.slot << 16) + (place.port << 8)


def _onu(place: Place) -> str:
    return f"gpon-onu_{place.port_text}:{place.ont_id}"


class Zte(Vendor):
    code = "zte"
    ont_ids = range(1, 129)
    error_line = re.compile(r"^\s*(%Error.*|%Code \d+-\w+ ?:.*|% ?(Invalid|Incomplete|"
                            r"Unknown|Ambiguous).*)$", re.MULTILINE)
    config_enter = (Step("configure terminal"),)
    config_leave = (Step("end"),)

    def netmiko_class(self):
        from netmiko.zte.zte_zxros import ZteZxrosSSH

        return ZteZxrosSSH

    def place(self, port, ont_id):
        place = super().place(port, ont_id)
        if place.frame < 1 or place.slot < 1 or place.port < 1 or place.frame > 16:
            raise ValidationError(_("A ZTE port is shelf/slot/port counted from 1, e.g. 1/2/1."))
        return place

    @staticmethod
    def _olt(place: Place) -> Step:
        return Step(f"interface gpon-olt_{place.port_text}")

    @staticmethod
    def _delete(place: Place) -> Step:
        return Step(f"no onu {place.ont_id}", changes=True, tolerate=r"ONU does not exist")

    def _service(self, place, profile) -> list[Step]:
        return [Step(f"interface {_onu(place)}"),
                Step(f"tcont 1 profile {profile.line}", changes=True),
                Step("gemport 1 tcont 1", changes=True),
                Step(f"service-port 1 vport 1 user-vlan {profile.vlan} vlan {profile.vlan}",
                     changes=True),
                Step("exit"),
                Step(f"pon-onu-mng {_onu(place)}"),
                Step(f"service {profile.service} gemport 1 vlan {profile.vlan}", changes=True),
                Step(f"vlan port eth_0/1 mode tag vlan {profile.vlan}", changes=True),
                Step("exit")]

    def register(self, place, serial, profile, *, onu_type=""):
        """``configure terminal``, ``interface gpon-olt_S/L/P``, ``onu ID type TYPE sn
        SERIAL``, ``exit``; then in ``interface gpon-onu_S/L/P:ID``: ``tcont 1 profile L``,
        ``gemport 1 tcont 1``, ``service-port 1 vport 1 user-vlan V vlan V``; in
        ``pon-onu-mng``: ``service S gemport 1 vlan V``, ``vlan port eth_0/1 mode tag vlan
        V``; ``end``. Undone by ``no onu ID`` (which takes the ONU's settings with it)."""
        if not onu_type:
            raise ValidationError(_("A ZTE OLT registers an ONU with its type: give the "
                                    "product a model the OLT knows (e.g. ZTE-F660)."))
        onu_type = onu_type_clean(onu_type)
        olt = self._olt(place)
        add = Step(f"onu {place.ont_id} type {onu_type} sn {serial}", changes=True,
                   undo=(olt, self._delete(place), Step("exit")))
        return [*self.config_enter, olt, add, Step("exit"), *self._service(place, profile),
                *self.config_leave]

    def profile(self, place, profile):
        """The ONU's T-CONT, service port and service again (as in ``register``)."""
        return [*self.config_enter, *self._service(place, profile), *self.config_leave]

    def reset(self, place):
        """``reboot`` in ``pon-onu-mng gpon-onu_S/L/P:ID``."""
        return [*self.config_enter, Step(f"pon-onu-mng {_onu(place)}"),
                Step("reboot", changes=True), Step("exit"), *self.config_leave]

    def remove(self, place):
        """``no onu ID`` in ``interface gpon-olt_S/L/P``."""
        return [*self.config_enter, self._olt(place), self._delete(place), Step("exit"),
                *self.config_leave]

    def status(self, place):
        """``show gpon onu detail-info gpon-onu_S/L/P:ID`` (phase state) and ``show pon
        power attenuation gpon-onu_S/L/P:ID`` (the ONU's Rx in the ``down`` row)."""
        return [Step(f"show gpon onu detail-info {_onu(place)}"),
                Step(f"show pon power attenuation {_onu(place)}")]

    def status_read(self, outputs):
        text = "\n".join(outputs)
        phase = re.search(r"^\s*Phase state:\s*(\S+)", text, re.MULTILINE)
        power = re.search(r"^\s*down\s+Tx\s*:\s*\S+\s+Rx\s*:\s*(-?\d+(?:\.\d+)?)\(dbm\)", text,
                          re.MULTILINE | re.IGNORECASE)
        word = phase.group(1) if phase else ""
        return Reading(online=(word.lower() == "working") if word else None, state=word,
                       rx_dbm=decimal_or_none(power.group(1) if power else None))

    def snmp_oids(self, place):
        index = f"{onu_index(place)}.{place.ont_id}"
        return {"rx": f"{RX_POWER_OID}.{index}.1", "phase": f"{PHASE_STATE_OID}.{index}"}

    def snmp_read(self, values):
        raw, phase = values.get("rx"), values.get("phase")
        rx_dbm = None
        if isinstance(raw, int) and 0 < raw < 65535:
            rx_dbm = (Decimal(raw) * Decimal("0.002") - 30).quantize(Decimal("0.001"))
        state = PHASES.get(phase, "") if isinstance(phase, int) else ""
        return Reading(online=(state == "working") if state else None, state=state,
                       rx_dbm=rx_dbm, source="snmp")
