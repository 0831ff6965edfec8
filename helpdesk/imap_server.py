"""A Dovecot IMAP server on loopback for the e-mail-to-case tests: users from a static
passwd-file, each with a Maildir the test fills as an MTA would (a file in ``new/``).

``HelpdeskImap(base).start()`` writes ``dovecot.conf`` and ``passwd`` into ``base`` and
starts ``dovecot -F`` on a free loopback port (plain IMAP, no TLS: loopback only);
``deliver(user, folder, raw)`` drops a message into the user's folder; ``stop()`` ends it.
"""

import os
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from mailhosting.dovecot import free_port, log_read, process_start, process_stop, run_as


@dataclass
class HelpdeskImap:
    base: Path
    users: dict = field(default_factory=dict)  # name -> password
    port: int = 0
    process: subprocess.Popen | None = field(default=None, repr=False)

    host = "127.0.0.1"

    @property
    def mail_root(self) -> Path:
        return self.base / "mail"

    def home(self, user: str) -> Path:
        return self.mail_root / user

    def write_config(self) -> Path:
        ids = run_as()
        for sub in ("run", "state", "log", "mail"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(self.base, 0o755)  # noqa: S103 - Dovecot's users read the config
        os.chown(self.mail_root, ids["uid"], ids["gid"])
        lines = []
        for user, password in self.users.items():
            if ":" in password or "\n" in password:
                raise ValueError("a passwd-file password cannot hold ':' or a line break")
            home = self.home(user)
            (home / "Maildir").mkdir(parents=True, exist_ok=True)
            self._chown_tree(home)
            lines.append(f"{user}:{{PLAIN}}{password}:{ids['uid']}:{ids['gid']}::{home}::")
        passwd = self.base / "passwd"
        passwd.write_text("\n".join(lines) + "\n")
        passwd.chmod(0o644)
        conf = self.base / "dovecot.conf"
        conf.write_text(f"""# Written by helpdesk/imap_server.py
protocols = imap
listen = 127.0.0.1
base_dir = {self.base}/run
state_dir = {self.base}/state
log_path = {self.base}/log/dovecot.log
info_log_path = {self.base}/log/dovecot.log
default_internal_user = {ids["internal"]}
default_login_user = {ids["login"]}
mail_uid = {ids["uid"]}
mail_gid = {ids["gid"]}
first_valid_uid = {min(ids["uid"], 100)}
first_valid_gid = {min(ids["gid"], 1)}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_cache_size = 0
auth_failure_delay = 0
login_trusted_networks = 127.0.0.1/32
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {passwd}
}}
userdb {{
  driver = passwd-file
  args = {passwd}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
""")
        return conf

    def _chown_tree(self, path: Path) -> None:
        ids = run_as()
        for root, _dirs, files in os.walk(path):
            os.chown(root, ids["uid"], ids["gid"])
            for name in files:
                os.chown(os.path.join(root, name), ids["uid"], ids["gid"])

    def start(self, *, timeout: float = 15.0) -> "HelpdeskImap":
        self.port = self.port or free_port()
        self.process = process_start(self.write_config(), port=self.port, log=self.log,
                                     timeout=timeout)
        return self

    def folder_path(self, user: str, folder: str) -> Path:
        maildir = self.home(user) / "Maildir"
        return maildir if folder.upper() == "INBOX" else maildir / f".{folder}"

    def deliver(self, user: str, folder: str, raw: bytes) -> Path:
        """Put ``raw`` into the folder as an MTA does: written in ``tmp/``, moved to
        ``new/``."""
        path = self.folder_path(user, folder)
        for sub in ("tmp", "new", "cur"):
            (path / sub).mkdir(parents=True, exist_ok=True)
        if folder.upper() != "INBOX":
            (path / "maildirfolder").touch()
        name = f"{time.time():.6f}.{uuid.uuid4().hex}.abonent-test"
        tmp = path / "tmp" / name
        tmp.write_bytes(raw)
        target = path / "new" / name
        os.rename(tmp, target)
        self._chown_tree(path)
        return target

    def forget_uids(self, user: str, folder: str) -> None:
        """Make Dovecot renumber the folder (a new UIDVALIDITY), as after a restore: its
        UID list and indexes are removed."""
        path = self.folder_path(user, folder)
        for name in os.listdir(path):
            if name.startswith("dovecot"):
                os.remove(path / name)

    def flags(self, user: str, folder: str) -> list[str]:
        """The Maildir flags of each message in ``cur/`` (``S`` = \\Seen)."""
        cur = self.folder_path(user, folder) / "cur"
        return sorted(name.rpartition(":2,")[2] for name in os.listdir(cur)) if cur.exists() else []

    def log(self) -> str:
        return log_read(self.base)

    def stop(self) -> None:
        process_stop(self.process)
        self.process = None
