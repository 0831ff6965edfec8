"""``python -m ksef.peer --host 127.0.0.1 --port 8765``: run the local KSeF peer (see
ksef/peer/__init__.py). ``--port 0`` takes a free port; the first line printed is
``listening on http://HOST:PORT``."""
import argparse
import os
import sys
from pathlib import Path

from werkzeug.serving import make_server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ksef.peer", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token", action="append", default=[], metavar="NIP:TOKEN",
                        help="a KSeF token accepted for the NIP (repeatable), for the bench")
    args = parser.parse_args(argv)
    # The peer runs without Django: the FA(3) schema is found beside the project.
    os.environ.pop("DJANGO_SETTINGS_MODULE", None)
    os.environ.setdefault("KSEF_XSD", str(
        Path(__file__).resolve().parents[3] / "shared" / "data" / "ksef" / "fa3_local.xsd"))
    from .app import PeerApp

    app = PeerApp()
    for pair in args.token:
        nip, _, token = pair.partition(":")
        app.peer.token_add(nip, token)
    server = make_server(args.host, args.port, app, threaded=True)
    print(f"listening on http://{args.host}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
