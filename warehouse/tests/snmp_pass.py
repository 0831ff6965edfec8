"""snmpd's ``pass`` program for the OLT tests: answers GET and GETNEXT under the vendors'
ONT subtrees from a JSON state file the test writes.

snmpd runs it as ``python snmp_pass.py STATE -g OID`` (GET) or ``… -n OID`` (GETNEXT)
and reads three lines back — the OID, its type (``integer``, ``gauge``, ``string`` …)
and the value — or nothing when there is no such OID. The state file maps OIDs (without
the leading dot) to ``[type, value]``. SET (``-s``) is refused: ``not-writable``.
"""

import json
import sys


def _key(oid: str) -> tuple[int, ...]:
    return tuple(int(part) for part in oid.strip(".").split(".") if part)


def answer(state: dict, mode: str, oid: str) -> str:
    wanted = _key(oid)
    if mode == "-g":
        found = next((k for k in state if _key(k) == wanted), None)
    elif mode == "-n":
        later = sorted((k for k in state if _key(k) > wanted), key=_key)
        found = later[0] if later else None
    else:
        return "not-writable\n"
    if found is None:
        return ""
    kind, value = state[found]
    return f".{found.strip('.')}\n{kind}\n{value}\n"


def main(argv: list[str]) -> int:
    if len(argv) < 4:
        return 1
    try:
        with open(argv[1], encoding="utf-8") as handle:
            state = json.load(handle)
    except (OSError, ValueError):
        state = {}
    sys.stdout.write(answer(state, argv[2], argv[3]))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
