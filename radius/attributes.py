"""What a login sends to the NAS: the one place that computes it.

``login_snapshot`` turns a login (and its extra attribute rows) into the JSON FreeRADIUS's
rlm_rest understands; services store it on ``Login.radius_snapshot`` in the transaction
that changes any input, and the authorize endpoint serves it as is. Nothing else builds
reply attributes, so the stored snapshot and a fresh computation cannot disagree.

Seam for the tariff (issue 4/5): speed attributes (``Mikrotik-Rate-Limit`` for MikroTik,
the vendor's equivalent for others), block profiles and temporary speed will be added
here, and the services that change a tariff or a block will call
``radius.services.login_snapshot_refresh``.
"""

import re

# Only reply attributes, by plain dictionary name: an operator cannot reach the control
# list (Auth-Type, Cleartext-Password) or FreeRADIUS's xlat through an extra attribute.
ATTRIBUTE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,63}")


def login_snapshot(login, attributes) -> dict:
    """``{"reply": {name: rlm_rest value}, "nas_ips": [...]}`` for ``login``.

    ``attributes``: the login's ``LoginAttribute`` rows in order. Values never go through
    FreeRADIUS's xlat (``do_xlat: false``): they are data typed by people.
    """
    reply: dict[str, dict] = {}
    if login.ip:
        reply["reply:Framed-IP-Address"] = {"op": ":=", "value": [login.ip],
                                            "do_xlat": False}
    for attribute in attributes:
        key = f"reply:{attribute.attribute}"
        if key in reply:
            reply[key]["value"].append(attribute.value)
        else:
            reply[key] = {"op": attribute.op, "value": [attribute.value], "do_xlat": False}
    return {"reply": reply, "nas_ips": sorted(nas.ip for nas in login.nases.all())}
