"""What every vendor's module shares: the checked values that cross into an OLT's CLI,
a step of a CLI dialogue, a reading, and the vendor's interface.

Nothing a user typed reaches a CLI unchecked: a value is checked by its own pattern
where a command is built (``serial_clean``, ``profile_name_clean`` …: the characters the
database's constraints allow, again, because a row may come from anywhere), and every
command is checked once more as a whole when it becomes a ``Step`` — printable ASCII,
no ``;`` — so a line break, which would be a second command, cannot be sent at all.
"""

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

GPON_SERIAL = re.compile(r"[A-Z0-9]{4}[0-9A-F]{8}", re.ASCII)
PORT = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{1,3})", re.ASCII)
PROFILE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}", re.ASCII)
ONU_TYPE = re.compile(r"[A-Za-z0-9_.-]{1,32}", re.ASCII)
# A whole command: printable ASCII only (no CR/LF, no control characters) and no ";".
COMMAND = re.compile(r"[ -:<-~]{1,250}", re.ASCII)


def serial_clean(value) -> str:
    """A GPON serial as the OLT takes it: 4 vendor characters and 8 hex digits
    (``HWTCC0FFEE01``), upper-case, nothing around it."""
    text = value if isinstance(value, str) else ""
    if not GPON_SERIAL.fullmatch(text):
        raise ValidationError(_("“%(v)s” is not a GPON serial (4 letters or digits of the "
                                "vendor and 8 hex digits, e.g. HWTCC0FFEE01).")
                              % {"v": repr(text)[1:-1][:40]})
    return text


def profile_name_clean(value) -> str:
    text = value if isinstance(value, str) else ""
    if not PROFILE_NAME.fullmatch(text):
        raise ValidationError(_("“%(v)s” is not a profile name an OLT takes (letters, digits, "
                                "_ . -, at most 64).") % {"v": repr(text)[1:-1][:70]})
    return text


def onu_type_clean(value) -> str:
    text = value if isinstance(value, str) else ""
    if not ONU_TYPE.fullmatch(text):
        raise ValidationError(_("“%(v)s” is not an ONU type an OLT takes (letters, digits, "
                                "_ . -, at most 32).") % {"v": repr(text)[1:-1][:40]})
    return text


def vlan_clean(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4094:
        raise ValidationError(_("A VLAN is a number from 1 to 4094."))
    return value


@dataclass(frozen=True)
class Place:
    """Where an ONT is: the OLT's frame/slot/port and the ONT's id on that port."""

    frame: int
    slot: int
    port: int
    ont_id: int

    @property
    def port_text(self) -> str:
        return f"{self.frame}/{self.slot}/{self.port}"


def place_parse(port, ont_id, *, ont_ids: range) -> Place:
    """``"0/1/0"`` and an ONT id → a ``Place``; the id within ``ont_ids`` (the vendor's)."""
    text = port if isinstance(port, str) else ""
    match = PORT.fullmatch(text)
    if not match:
        raise ValidationError(_("“%(v)s” is not an OLT port: give frame/slot/port, e.g. 0/1/0.")
                              % {"v": repr(text)[1:-1][:20]})
    if isinstance(ont_id, bool) or not isinstance(ont_id, int) or ont_id not in ont_ids:
        raise ValidationError(_("The ONT id on this OLT is a number from %(low)s to %(high)s.")
                              % {"low": ont_ids.start, "high": ont_ids.stop - 1})
    frame, slot, number = (int(g) for g in match.groups())
    return Place(frame, slot, number, ont_id)


@dataclass(frozen=True)
class Profile:
    """What the customer's tariff gives the ONT on this OLT (``OntProfile``), checked."""

    line: str
    service: str
    vlan: int

    def __post_init__(self):
        profile_name_clean(self.line)
        profile_name_clean(self.service)
        vlan_clean(self.vlan)


@dataclass(frozen=True)
class Step:
    """One line typed at the OLT.

    ``question``: a regex of the confirmation the device asks before acting (Huawei's
    ``(y/n)[n]:``), answered with ``reply``. ``changes``: the step changes the OLT's
    configuration (what "applied" lists when a later step fails). ``undo``: the steps,
    typed in config mode and ending there, that take this one back. ``tolerate``: a regex
    of an error answer that is not a failure here (removing service ports an ONT does not
    have).
    """

    command: str
    question: str = ""
    reply: str = "y"
    changes: bool = False
    undo: tuple["Step", ...] = ()
    tolerate: str = ""

    def __post_init__(self):
        # The last wall: whatever a builder did, a command is one printable line.
        if not COMMAND.fullmatch(self.command) or not COMMAND.fullmatch(self.reply):
            raise ValidationError(_("Refused to send a command with a line break, a control "
                                    "character or “;” to the OLT."))


@dataclass
class Reading:
    """What was read about an ONT: online or not (None: unknown), the device's word for
    its state, the optical power it receives in dBm (None: not available)."""

    online: bool | None = None
    state: str = ""
    rx_dbm: Decimal | None = None
    source: str = "cli"
    raw: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"source": self.source, "online": self.online, "state": self.state,
                "rx_power_dbm": None if self.rx_dbm is None else str(self.rx_dbm)}


def decimal_or_none(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except ArithmeticError:
        return None


class Vendor(ABC):
    """A vendor's CLI: the commands each action sends and how its answers read.

    Subclasses say which netmiko class speaks to the device, which ONT ids a port has,
    how their error lines look, and build the steps. Every builder takes checked
    values only (``Place``, ``Profile``, a serial passed through ``serial_clean``).
    """

    code = ""
    ont_ids = range(0, 128)
    # Lines of an answer that mean the device refused the command.
    error_line = re.compile(r"^\s*(% ?(Unknown|Invalid|Incomplete|Ambiguous).*|.*Error.*)$",
                            re.MULTILINE)
    config_enter: tuple[Step, ...] = ()
    config_leave: tuple[Step, ...] = ()

    @abstractmethod
    def netmiko_class(self):
        """Each vendor's own (``huawei``, ``zte``, ``dasan``)."""

    def place(self, port, ont_id) -> Place:
        return place_parse(port, ont_id, ont_ids=self.ont_ids)

    def error_in(self, output: str, step: Step | None = None) -> str:
        """The first line of ``output`` that says the command was refused ("" if none)."""
        for match in self.error_line.finditer(output or ""):
            line = match.group(0).strip()
            if step is not None and step.tolerate and re.search(step.tolerate, line):
                continue
            return line
        return ""

    # The builders: each returns the steps from enable mode back to enable mode.
    @abstractmethod
    def register(self, place: Place, serial: str, profile: Profile, *,
                 onu_type: str = "") -> list[Step]:
        """Each vendor's own (``huawei``, ``zte``, ``dasan``)."""

    @abstractmethod
    def profile(self, place: Place, profile: Profile) -> list[Step]:
        """Each vendor's own (``huawei``, ``zte``, ``dasan``)."""

    @abstractmethod
    def reset(self, place: Place) -> list[Step]:
        """Each vendor's own (``huawei``, ``zte``, ``dasan``)."""

    @abstractmethod
    def remove(self, place: Place) -> list[Step]:
        """Each vendor's own (``huawei``, ``zte``, ``dasan``)."""

    @abstractmethod
    def status(self, place: Place) -> list[Step]:
        """Each vendor's own (``huawei``, ``zte``, ``dasan``)."""

    @abstractmethod
    def status_read(self, outputs: list[str]) -> Reading:
        """Each vendor's own: the status commands' answers read."""

    def undo(self, applied: list[Step]) -> list[Step]:
        """The steps that take back ``applied`` (the changing steps a failed action got
        through), the last first; empty when nothing needs taking back."""
        steps = [s for step in reversed(applied) for s in step.undo]
        if not steps:
            return []
        return [*self.config_enter, *steps, *self.config_leave]

    # SNMP: the OIDs to read for an ONT, None when the vendor publishes none.
    def snmp_oids(self, place: Place) -> dict[str, str] | None:
        return None

    def snmp_read(self, values: dict) -> Reading:
        """The SNMP values read (a vendor with ``snmp_oids``); none published: nothing
        known, the CLI is asked (``ont.ont_status`` does so when there are no OIDs)."""
        return Reading(source="snmp", raw=dict(values))
