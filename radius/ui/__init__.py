"""Staff pages of the RADIUS app: the card's "Komputery", the login's window, NAS devices
and IP pools (mounted at /radius/ by ``radius.urls``)."""
