"""Polish first: every string in the code is translatable and translated."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

ROOT = Path(settings.BASE_DIR)
# The project's own apps (as installed) and what they need to run makemessages.
SOURCES = ("config", "templates", "locale", "manage.py",
           *[app for app in settings.INSTALLED_APPS if (ROOT / app).is_dir()])


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs gettext (make test installs it)")
def test_polish_catalog_is_complete_and_current(tmp_path):
    """Extract the strings afresh from a copy of the sources; none may lack Polish."""
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name,
                            ignore=shutil.ignore_patterns("__pycache__", "tests"))
        else:
            shutil.copy(source, tmp_path / name)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "pl", "--no-location"],
        cwd=tmp_path, check=True, capture_output=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings",
             "PYTHONPATH": str(tmp_path)},
    )
    po = tmp_path / "locale/pl/LC_MESSAGES/django.po"
    stats = subprocess.run(["msgfmt", "--statistics", "-o", "/dev/null", str(po)],
                           capture_output=True, text=True, check=True).stderr
    assert "untranslated" not in stats and "fuzzy" not in stats, stats
    translated = int(re.search(r"(\d+) translated", stats).group(1))
    assert translated > 300


def test_staff_pages_speak_polish_by_default_and_english_on_request(staff_client):
    polish = staff_client.get(reverse("customers:list"), headers={"accept-language": "pl"})
    assert "Szukaj" in polish.content.decode()
    english = staff_client.get(reverse("customers:list"), headers={"accept-language": "en"})
    assert "Search" in english.content.decode()


def test_validation_message_in_polish(in_tenant, staff):
    from django.core.exceptions import ValidationError
    from django.utils import translation

    from customers.services import customer_create

    with translation.override("pl"), pytest.raises(ValidationError) as error:
        customer_create(actor=staff, last_name="Nowak", pesel="12345678901")
    assert error.value.message_dict["pesel"] == [
        "„12345678901” nie jest poprawnym numerem PESEL."]
