"""Loopback TCP ports that are no SSH server, for what staff are told when no SSH server
answers at an OLT's address: a port nothing listens on (refused), one that accepts and
never speaks (a hung service, a firewall that lets the connection through to nothing),
one that speaks something else (a web server) and one that says it is SSH and then
talks nonsense."""

import contextlib
import socket
import threading

HTTP = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"
SSH_NONSENSE = b"SSH-2.0-OpenSSH_9.2\r\n" + b"\x00\x00\x00\x0c\x0a\x14" + b"\xff" * 58


def free_port(kind=socket.SOCK_STREAM) -> int:
    """A loopback port nothing listens on (a TCP connection to it is refused)."""
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def listening(port: int, *, says: bytes = b""):
    """Accept on 127.0.0.1:``port`` until the block ends: write ``says`` to each
    connection and close it, or — nothing to say — hold it open in silence."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen()
    server.settimeout(0.1)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve():
        while not stop.is_set():
            try:
                conn, _address = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if says:
                with contextlib.suppress(OSError):
                    conn.sendall(says)
                conn.close()
            else:
                held.append(conn)

    thread = threading.Thread(target=serve, name=f"listener-{port}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(5)
        server.close()
        for conn in held:
            conn.close()
