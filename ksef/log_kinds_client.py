"""The client part's kinds of action log entries (core/actionlog.py): none — the client
changes nothing in the database; the pipeline part logs the sends it makes with it."""
