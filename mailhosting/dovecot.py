"""A Dovecot IMAP server on loopback that authenticates against the projection
(``mailhosting_mailuser``), as the ISP's own Dovecot does: for the tests, and a working
example of the configuration.

``Dovecot(base, database=...).start()`` writes ``dovecot.conf`` and ``sql.conf.ext`` into
``base``, starts ``dovecot -F -c <conf>`` on a free loopback port and waits until it
answers; ``stop()`` ends it. Passwords are verified by Dovecot itself (``{ARGON2ID}``
hashes), the quota comes from the projection's ``quota_bytes``, and each mailbox's mail
lives in ``mail_root`` (by default a temporary directory) under ``<domain>/<mailbox id>``.
"""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BINARY = "/usr/sbin/dovecot"
USERNAME_CHARS = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                  ".@!#$%&'*+/=?^_`{|}~-")


def dovecot_binary() -> str | None:
    """Dovecot's binary, if installed (Debian ``dovecot-imapd``)."""
    found = shutil.which("dovecot") or (BINARY if os.path.exists(BINARY) else None)
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _conninfo_value(value) -> str:
    """A libpq connection-string value, quoted: ``'it''s'`` style is not libpq's; it
    wants backslash escapes inside single quotes."""
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def run_as() -> dict:
    """Dovecot runs nothing as root but its master: as root, Debian's ``dovecot``/
    ``dovenull`` users and the mail as ``nobody``; otherwise everything as the current
    user."""
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        return {"internal": "dovecot", "login": "dovenull", "uid": nobody.pw_uid,
                "gid": nobody.pw_gid}
    me = pwd.getpwuid(os.geteuid())
    return {"internal": me.pw_name, "login": me.pw_name, "uid": me.pw_uid, "gid": me.pw_gid}


def process_start(conf: Path, *, port: int, log, timeout: float = 15.0) -> subprocess.Popen:
    """``dovecot -F -c conf``, once it greets on ``port`` (``log()`` explains a failure)."""
    binary = dovecot_binary()
    if binary is None:
        raise FileNotFoundError("dovecot is not installed (Debian: dovecot-imapd)")
    process = subprocess.Popen(  # noqa: S603 - our own binary and config
        [binary, "-F", "-c", str(conf)], stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace")
            raise RuntimeError(f"dovecot exited: {output}\n{log()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(100).startswith(b"* OK"):
                    return process
        except OSError:
            time.sleep(0.1)
    process_stop(process)
    raise RuntimeError(f"dovecot did not answer on port {port}\n{log()}")


def process_stop(process: subprocess.Popen | None) -> None:
    if process is None:
        return
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    if process.stdout:
        process.stdout.close()


def log_read(base: Path) -> str:
    path = base / "log" / "dovecot.log"
    return path.read_text(errors="replace") if path.exists() else ""


@dataclass
class Dovecot:
    base: Path
    database: dict  # host, port, dbname, user, password (optional)
    port: int = 0
    process: subprocess.Popen | None = field(default=None, repr=False)
    _own_mail_root: bool = field(default=False, repr=False)

    mail_root: Path | None = None

    def write_config(self) -> Path:
        users = run_as()
        self.base.mkdir(parents=True, exist_ok=True)
        for sub in ("run", "state", "log"):
            (self.base / sub).mkdir(exist_ok=True)
        if self.mail_root is None:
            # Outside ``base``: the mail user must reach it, and a test's temporary
            # directories are closed to all but their owner. Removed by ``stop``.
            self.mail_root = Path(tempfile.mkdtemp(prefix="abonent-mail-"))
            self._own_mail_root = True
        os.chown(self.mail_root, users["uid"], users["gid"])
        db = self.database
        connect = " ".join(f"{key}={_conninfo_value(db[key])}"
                           for key in ("host", "port", "dbname", "user", "password")
                           if db.get(key))
        root = str(self.mail_root).replace("'", "''")
        # %u is escaped by Dovecot for SQL; the user name is lower-cased first.
        (self.base / "sql.conf.ext").write_text(
            "driver = pgsql\n"  # noqa: S608 - Dovecot's configuration, not our query
            f"connect = {connect}\n"
            "default_pass_scheme = ARGON2ID\n"
            "password_query = SELECT email AS user, password FROM mailhosting_mailuser "
            "WHERE email = '%u'\n"
            f"user_query = SELECT '{root}/' || home AS home, "
            "'*:bytes=' || quota_bytes AS quota_rule "
            "FROM mailhosting_mailuser WHERE email = '%u'\n"
            "iterate_query = SELECT email AS user FROM mailhosting_mailuser\n")
        (self.base / "sql.conf.ext").chmod(0o640)
        conf = self.base / "dovecot.conf"
        conf.write_text(f"""# Written by mailhosting/dovecot.py
protocols = imap
listen = 127.0.0.1
base_dir = {self.base}/run
state_dir = {self.base}/state
log_path = {self.base}/log/dovecot.log
info_log_path = {self.base}/log/dovecot.log
default_internal_user = {users["internal"]}
default_login_user = {users["login"]}
mail_uid = {users["uid"]}
mail_gid = {users["gid"]}
first_valid_uid = {min(users["uid"], 100)}
first_valid_gid = {min(users["gid"], 1)}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_username_format = %Lu
# Every character of an RFC 5321 dot-atom (mailhosting/validators.py): Dovecot escapes
# the name for SQL, and homes are named by id, never by the name.
auth_username_chars = "{USERNAME_CHARS}"
auth_cache_size = 0
# A refused login answers at once (2 s by default, and a growing penalty per address
# that fails again: production keeps both, the tests fail many logins from loopback).
auth_failure_delay = 0
login_trusted_networks = 127.0.0.1/32
auth_verbose = yes
mail_home = %{{userdb:home}}
mail_location = maildir:~/Maildir
mail_plugins = $mail_plugins quota
protocol imap {{
  mail_plugins = $mail_plugins imap_quota
}}
plugin {{
  quota = count:User quota
  quota_vsizes = yes
  quota_rule = *:storage=1M
}}
passdb {{
  driver = sql
  args = {self.base}/sql.conf.ext
}}
userdb {{
  driver = sql
  args = {self.base}/sql.conf.ext
}}
service imap-login {{
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
service imap-login {{
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

    def start(self, *, timeout: float = 15.0) -> "Dovecot":
        self.port = self.port or free_port()
        self.process = process_start(self.write_config(), port=self.port, log=self.log,
                                     timeout=timeout)
        return self

    def log(self) -> str:
        return log_read(self.base)

    def stop(self) -> None:
        process_stop(self.process)
        self.process = None
        if self._own_mail_root and self.mail_root is not None:
            shutil.rmtree(self.mail_root, ignore_errors=True)
            self.mail_root, self._own_mail_root = None, False
