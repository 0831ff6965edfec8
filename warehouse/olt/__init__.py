"""Talking to OLTs: each vendor's CLI commands and answers, the SSH dialogue and SNMP.

* ``base``: the checked values (GPON serial, port, profile names, VLAN), ``Step`` (one
  line typed, refused if it is not one printable line), ``Reading`` and ``Vendor``;
* ``huawei``, ``zte``, ``dasan``: what each action sends and how the answers read;
* ``ssh``: the session (netmiko), with the host key kept and checked;
* ``snmp``: the status read over SNMP (pysnmp) where a vendor publishes OIDs;
* ``address``: which addresses an OLT may have (no loopback or link-local unless the
  platform allows them).

The services that use them, and record every dialogue, are in ``warehouse/ont.py``.
"""

from .base import Place, Profile, Reading, Step, Vendor
from .dasan import Dasan
from .huawei import Huawei
from .zte import Zte

VENDORS: dict[str, Vendor] = {v.code: v for v in (Huawei(), Zte(), Dasan())}

__all__ = ["VENDORS", "Place", "Profile", "Reading", "Step", "Vendor"]
