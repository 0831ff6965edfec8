#!/usr/bin/env bash
# System packages the test suite drives for real: Chromium (browser tests), FreeRADIUS, gettext
# (compiling translations), snmpd (the OLT tests), PostgreSQL server binaries when no server
# answers.
set -euo pipefail
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
command -v msgfmt >/dev/null || need+=(gettext)
command -v pdftoppm >/dev/null || need+=(poppler-utils)   # PDF pages to PNG (barcode test)
command -v zbarimg >/dev/null || need+=(zbar-tools)       # decodes the printed barcode
# FreeRADIUS with rlm_rest and radclient: the RADIUS tests run the shipped configuration.
command -v freeradius >/dev/null || need+=(freeradius)
dpkg -s freeradius-rest >/dev/null 2>&1 || need+=(freeradius-rest)
command -v radclient >/dev/null || need+=(freeradius-utils)
# Dovecot IMAP with its PostgreSQL driver: the hosted-mailbox tests log in through it.
command -v dovecot >/dev/null || need+=(dovecot-imapd)
dpkg -s dovecot-pgsql >/dev/null 2>&1 || need+=(dovecot-pgsql)
# Kannel (bearerbox, smsbox) and fakesmsc as its SMSC: the SMS tests (messaging/kannel.py).
command -v bearerbox >/dev/null || [ -x /usr/sbin/bearerbox ] || need+=(kannel)
[ -x /usr/lib/kannel/test/fakesmsc ] || need+=(kannel-extras)
# snmpd: answers the OLTs' ONT OIDs through a pass program in the warehouse tests.
command -v snmpd >/dev/null || [ -x /usr/sbin/snmpd ] || need+=(snmpd)
# ping: the login's "additional information" pings the NAS and the client.
command -v ping >/dev/null || need+=(iputils-ping)
# WeasyPrint renders with Pango; DejaVu has the Polish letters.
dpkg -s libpango-1.0-0 >/dev/null 2>&1 || need+=(libpango-1.0-0)
dpkg -s libpangoft2-1.0-0 >/dev/null 2>&1 || need+=(libpangoft2-1.0-0)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || need+=(fonts-dejavu-core)
if ! command -v pg_isready >/dev/null; then need+=(postgresql-client); fi
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && [ -z "${DATABASE_URL:-}" ] \
   && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  need+=(postgresql)
fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "Missing system packages: ${need[*]} (run as root or install them)" >&2; exit 1
  fi
  echo "Installing ${need[*]} ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
