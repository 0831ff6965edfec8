"""A loopback SSH server that plays an OLT's CLI, for the ONT tests.

Not a mock of our client: an asyncssh server with a real PTY line editor (echo, CR/LF),
password login and its own host key, so netmiko (``warehouse/olt/ssh.py``) is exercised
on real bytes — the prompt finding, its session preparation (Huawei's ``undo smart``,
``scroll``; ZTE's and Dasan's ``terminal length 0``), ``enable``, mode changes
(``interface gpon 0/1`` → ``MA5800-X7(config-if-gpon-0/1)#``), questions answered with
``y`` and the log-out.

Each vendor's behaviour is a transcript, ``transcripts/<vendor>.yaml``: the prompts per
mode, and rules — the mode a command is valid in, its pattern, the mode it leads to, a
question it asks, and cases (the first whose condition holds answers). Conditions and
state changes are the few words below (``sn_registered``, ``register``…) over a small
state the test can read and change: the ONTs the OLT has, their online state and
optical power, the profiles and VLANs it knows.

API::

    peer = OltPeer("huawei", username="abonent", password="olt-pass").start()
    peer.port                 # 127.0.0.1, a free port
    peer.host_key_line        # "ssh-ed25519 AAAA…" as our client stores it
    peer.received             # every line typed after log-in, in order
    peer.logins               # the user names that tried a password
    peer.hang_on = r"^service-port"   # on a matching line: read on, never answer
    peer.drop_on = r"^ont add"        # on a matching line: drop the connection
    peer.onts[("0/1/0", 5)]   # {"sn": …, "online": True, "rx": "-21.50", …}
    peer.reset(); peer.stop()
"""

import asyncio
import contextlib
import re
import threading
from pathlib import Path

import asyncssh
import yaml

TRANSCRIPTS = Path(__file__).resolve().parent / "transcripts"
# Optical power the peer reports for a new ONT, as each vendor prints it.
DEFAULT_RX = {"huawei": "-21.50", "zte": "-20.334", "dasan": "-19.87"}
DEFAULT_VLANS = {100, 200, 300}
asyncssh.set_log_level("WARNING")
_FIELD = re.compile(r"\{([a-z_]+)\}")


def _fill(template: str, values: dict) -> str:
    """``{name}`` replaced by its value; braces the device prints stay as they are."""
    return _FIELD.sub(lambda m: str(values.get(m.group(1), m.group(0))), template)


class OltPeer:
    def __init__(self, vendor: str, *, username: str = "abonent", password: str = "olt-pass",
                 enable_password: str = ""):
        self.vendor = vendor
        self.script = yaml.safe_load((TRANSCRIPTS / f"{vendor}.yaml").read_text())
        self.username, self.password = username, password
        self.enable_password = enable_password
        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server = None
        self._thread: threading.Thread | None = None
        self.reset()

    # ------------------------------------------------------------------ control

    @property
    def host_key_line(self) -> str:
        """The public key as ``<type> <base64>`` (without a comment)."""
        text = self.host_key.export_public_key("openssh").decode()
        return " ".join(text.split()[:2])

    def reset(self) -> None:
        self.received: list[str] = []
        self.logins: list[str] = []
        self.hang_on: str | None = None
        self.drop_on: str | None = None
        self.onts: dict[tuple[str, int], dict] = {}
        self.profiles: set[str] = set(self.script.get("profiles") or ())
        self.vlans: set[int] = set(DEFAULT_VLANS)
        self.service_ports: dict[tuple[str, int], list[int]] = {}
        self.resets: list[tuple[str, int]] = []

    def start(self) -> "OltPeer":
        ready = threading.Event()

        def run():
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(asyncssh.create_server(
                lambda: _Server(self), "127.0.0.1", 0, server_host_keys=[self.host_key],
                process_factory=self._session, line_editor=True, keepalive_interval=0))
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

        self._thread = threading.Thread(target=run, name=f"oltpeer-{self.vendor}", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the OLT peer did not start")
        return self

    def stop(self) -> None:
        if self._loop is None:
            return

        async def close():
            self._server.close()
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop = None

    # ------------------------------------------------------------------ the CLI

    async def _session(self, process: asyncssh.SSHServerProcess) -> None:
        session = _CliSession(self, process)
        try:
            await session.run()
        except (asyncssh.Error, BrokenPipeError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            with contextlib.suppress(Exception):
                process.exit(0)


class _Server(asyncssh.SSHServer):
    def __init__(self, peer: OltPeer):
        self.peer = peer

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        self.peer.logins.append(username)
        return username == self.peer.username and password == self.peer.password


class _Drop(Exception):
    """The test asked for the connection to be dropped."""


class _CliSession:
    def __init__(self, peer: OltPeer, process):
        self.peer, self.process = peer, process
        self.script = peer.script
        self.mode = self.script["start"]
        self.vars: dict = {"hostname": self.script["hostname"]}

    # -- output

    def prompt(self) -> str:
        return _fill(self.script["prompts"][self.mode], self.vars)

    def write(self, text: str) -> None:
        self.process.stdout.write(text)

    async def readline(self) -> str | None:
        line = await self.process.stdin.readline()
        if not line:
            return None
        return line.rstrip("\r\n")

    # -- the loop

    async def run(self) -> None:
        banner = self.script.get("banner") or ""
        self.write(banner + self.prompt())
        while True:
            line = await self.readline()
            if line is None:
                return
            self.peer.received.append(line)
            if self.peer.hang_on and re.search(self.peer.hang_on, line):
                await self._hang()
                return
            if self.peer.drop_on and re.search(self.peer.drop_on, line):
                self.process.channel.get_connection().abort()
                return
            if await self._answer(line.strip()) is False:
                return

    async def _hang(self) -> None:
        """A device that stopped answering: read and discard until the client gives up."""
        while await self.process.stdin.read(1024):
            pass

    async def _answer(self, line: str) -> bool:
        logout = self.script.get("logout") or {}
        if line == logout.get("command") and self.mode in logout.get("modes", ()):
            if logout.get("question"):
                self.write(logout["question"])
                reply = await self.readline()
                if reply is None:
                    return False
                self.peer.received.append(reply)
                if reply.strip().lower() != "y":
                    self.write("\n" + self.prompt())
                    return True
            self.write(logout.get("bye") or "\n")
            self.process.channel.get_connection().close()
            return False
        if line == "enable" and self.mode == "user" and self.peer.enable_password:
            return await self._enable()
        if not line:
            self.write("\n" + self.prompt())
            return True
        rule, values = self._rule(line)
        if rule is None:
            caret = " " * len(self.prompt()) + "^"
            self.write("\n" + _fill(self.script["unknown"], {"caret": caret}).rstrip("\n")
                       + "\n\n" + self.prompt())
            return True
        if rule.get("question"):
            self.write("\n" + rule["question"])
            reply = await self.readline()
            if reply is None:
                return False
            self.peer.received.append(reply)
            if reply.strip().lower() != "y":
                self.write("\n" + self.prompt())
                return True
        case = self._case(rule, values)
        if case.get("do"):
            getattr(self, "do_" + case["do"])(values)
        goto = case.get("goto") or rule.get("goto")
        reply = case.get("reply", rule.get("reply", ""))
        text = self._indent(_fill(reply, {**self._ont_fields(values), **values}).rstrip("\n"))
        if goto:
            self.mode = goto
            self.vars.update({k: v for k, v in values.items() if k not in ("sn", "sn_hex")})
        self.write("\n" + (text + "\n" if text else "") + self.prompt())
        return True

    def _indent(self, text: str) -> str:
        indent = self.script.get("indent") or ""
        return "\n".join(indent + line if line else line for line in text.split("\n"))

    async def _enable(self) -> bool:
        self.write("\nPassword:")
        self.process.channel.set_echo(False)
        secret = await self.readline()
        self.process.channel.set_echo(True)
        if secret is None:
            return False
        self.peer.received.append(secret)
        if secret == self.peer.enable_password:
            self.mode = "enable"
            self.write("\n" + self.prompt())
        else:
            self.write("\n% Access denied\n" + self.prompt())
        return True

    def _rule(self, line: str):
        for rule in self.script["rules"]:
            if self.mode not in rule["in"]:
                continue
            match = re.fullmatch(rule["match"], line)
            if match:
                values = {**self.vars, **{k: v for k, v in match.groupdict().items()
                                          if v is not None}}
                return rule, values
        return None, None

    def _case(self, rule: dict, values: dict) -> dict:
        for case in rule.get("cases") or [{}]:
            when = case.get("when")
            if when is None or getattr(self, "when_" + when)(values):
                return case
        return {}

    # -- the OLT's state

    def _place(self, values: dict) -> tuple[str, int] | None:
        if "ont" not in values:
            return None
        frame, slot = values.get("frame", "0"), values.get("slot", "0")
        return f"{int(frame)}/{int(slot)}/{int(values.get('port', 0))}", int(values["ont"])

    def _ont(self, values: dict) -> dict | None:
        place = self._place(values)
        return self.peer.onts.get(place) if place else None

    def _ont_fields(self, values: dict) -> dict:
        ont = self._ont(values) or {}
        online = ont.get("online", False)
        sn = ont.get("sn", "")
        return {
            **{k: v for k, v in ont.items() if isinstance(v, str)},
            "sn_dashed": f"{sn[:4]}-{sn[4:]}" if sn else "",
            "sn_hex": sn[:4].encode().hex().upper() + sn[4:] if sn else "",
            "run_state": "online" if online else "offline",
            "phase": "working" if online else "LOS",
            "status": "Active" if online else "Inactive",
        }

    @staticmethod
    def _serial(values: dict) -> str:
        if values.get("sn_hex"):
            raw = values["sn_hex"]
            return bytes.fromhex(raw[:8]).decode("ascii", "replace") + raw[8:]
        return values.get("sn", "")

    def when_sn_registered(self, values) -> bool:
        serial = self._serial(values)
        return any(ont["sn"] == serial for ont in self.peer.onts.values())

    def when_place_taken(self, values) -> bool:
        return self._ont(values) is not None

    def when_ont_missing(self, values) -> bool:
        return self._ont(values) is None

    def when_ont_offline(self, values) -> bool:
        ont = self._ont(values)
        return ont is not None and not ont.get("online")

    def when_profile_unknown(self, values) -> bool:
        names = [values[k] for k in ("line", "srv") if values.get(k)]
        return any(name not in self.peer.profiles for name in names)

    def when_vlan_unknown(self, values) -> bool:
        return any(int(values[k]) not in self.peer.vlans for k in ("vlan", "uvlan")
                   if values.get(k))

    def when_has_service_port(self, values) -> bool:
        return bool(self.peer.service_ports.get(self._place(values)))

    def when_no_service_port(self, values) -> bool:
        return not self.when_has_service_port(values)

    def do_register(self, values) -> None:
        self.peer.onts[self._place(values)] = {
            "sn": self._serial(values), "online": True, "rx": DEFAULT_RX[self.peer.vendor],
            "line": values.get("line", ""), "srv": values.get("srv", ""),
            "onu_type": values.get("onu_type", "")}

    def do_unregister(self, values) -> None:
        self.peer.onts.pop(self._place(values), None)

    def do_profile(self, values) -> None:
        ont = self._ont(values)
        for key in ("line", "srv"):
            if values.get(key):
                ont[key] = values[key]

    def do_reset(self, values) -> None:
        self.peer.resets.append(self._place(values))

    def do_service_port_add(self, values) -> None:
        self.peer.service_ports.setdefault(self._place(values), []).append(int(values["vlan"]))

    def do_service_port_remove(self, values) -> None:
        self.peer.service_ports.pop(self._place(values), None)
