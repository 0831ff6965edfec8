"""Dasan (DASAN Zhone) NOS GPON OLTs (V5800/V8000 series).

Modes: ``dasan>`` → ``enable`` → ``dasan#`` → ``configure terminal`` → ``(config)#`` →
``gpon`` → ``(gpon)#`` → ``gpon-olt N`` → ``(gpon-olt[N])#``; ``exit`` one mode back,
``end`` to ``#``. A PON port is ``gpon-olt N`` alone, so its port is written ``0/0/N``.
An ONU is ``onu add ID SERIAL`` and gets its ONU profile — which carries its traffic and
VLAN settings on NOS — by ``onu-profile ID NAME`` (the tariff's line profile; the
service profile and the VLAN are the profile's business on the OLT). Refusals are
``% …`` lines.

The command words follow the NOS CLI manual; they were not checked against a device.
Dasan publishes no ONU optical power in a MIB we could confirm: status is read over
the CLI (``show onu info``, ``show onu ddm``).
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .base import Reading, Step, Vendor, decimal_or_none


def _netmiko_class():
    from netmiko.cisco_base_connection import CiscoBaseConnection

    class DasanNosSSH(CiscoBaseConnection):
        """NOS is Cisco-like: find the prompt, ``terminal length 0``."""

        def session_preparation(self) -> None:
            self._test_channel_read(pattern=r"[>#]")
            self.set_base_prompt()
            self.disable_paging(command="terminal length 0")

        def check_config_mode(self, check_string: str = ")#", pattern: str = r"[>#]",
                              force_regex: bool = False) -> bool:
            # With a prompt pattern: netmiko's default waits 2 s of silence instead.
            return super().check_config_mode(check_string=check_string, pattern=pattern,
                                             force_regex=force_regex)

    return DasanNosSSH


class Dasan(Vendor):
    code = "dasan"
    ont_ids = range(1, 129)
    error_line = re.compile(r"^\s*(%.*|Error:.*)$", re.MULTILINE)
    config_enter = (Step("configure terminal"),)
    config_leave = (Step("end"),)

    def netmiko_class(self):
        return _netmiko_class()

    def place(self, port, ont_id):
        place = super().place(port, ont_id)
        if place.frame != 0 or place.slot != 0 or place.port < 1:
            raise ValidationError(_("A Dasan OLT numbers its PON ports gpon-olt N: give the "
                                    "port as 0/0/N."))
        return place

    @staticmethod
    def _delete(place) -> Step:
        return Step(f"no onu add {place.ont_id}", changes=True, tolerate=r"does not exist")

    @staticmethod
    def _olt(place) -> tuple[Step, ...]:
        return Step("gpon"), Step(f"gpon-olt {place.port}")

    def register(self, place, serial, profile, *, onu_type=""):
        """``configure terminal``, ``gpon``, ``gpon-olt N``, ``onu add ID SERIAL``,
        ``onu-profile ID L``, ``end``. Undone by ``no onu add ID``."""
        olt = self._olt(place)
        add = Step(f"onu add {place.ont_id} {serial}", changes=True,
                   undo=(*olt, self._delete(place), Step("exit"), Step("exit")))
        return [*self.config_enter, *olt, add,
                Step(f"onu-profile {place.ont_id} {profile.line}", changes=True),
                *self.config_leave]

    def profile(self, place, profile):
        """``onu-profile ID L`` in ``gpon-olt N``."""
        return [*self.config_enter, *self._olt(place),
                Step(f"onu-profile {place.ont_id} {profile.line}", changes=True),
                *self.config_leave]

    def reset(self, place):
        """``onu reset ID`` in ``gpon-olt N``."""
        return [*self.config_enter, *self._olt(place),
                Step(f"onu reset {place.ont_id}", changes=True), *self.config_leave]

    def remove(self, place):
        """``no onu add ID`` in ``gpon-olt N``."""
        return [*self.config_enter, *self._olt(place),
                self._delete(place), *self.config_leave]

    def status(self, place):
        """``show onu info N ID`` (status Active/Inactive) and ``show onu ddm N ID`` (the
        Rx power; an inactive ONU has none)."""
        return [Step(f"show onu info {place.port} {place.ont_id}"),
                Step(f"show onu ddm {place.port} {place.ont_id}", tolerate=r"not active")]

    def status_read(self, outputs):
        info = outputs[0] if outputs else ""
        ddm = outputs[1] if len(outputs) > 1 else ""
        state = re.search(r"^\s*\d+\s+\d+\s+\S+\s+(Active|Inactive|\S+)\s", info, re.MULTILINE)
        power = re.search(r"(-?\d+(?:\.\d+)?)\s*dBm\s*$", ddm, re.MULTILINE)
        word = state.group(1) if state else ""
        return Reading(online=(word == "Active") if word else None, state=word,
                       rx_dbm=decimal_or_none(power.group(1) if power else None))
