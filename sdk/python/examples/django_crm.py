"""A Django model form for the CRM seed (003) whose ``clean()`` asks Warden.

The form maps its fields to the preset's record (``first_name`` -> ``firstName``, ...),
validates it with :meth:`warden.Warden.validate`, attaches every error-severity violation to
its field with Warden's message (in the form's language), and stores Warden's normalised
values (trimmed organization, ...) in ``cleaned_data``. The uniqueness and existence checks
Warden lists (``checks``) are the application's to answer against its database, as
``facts`` on a second call; this example leaves them to the model's own constraints.

Run: ``python examples/django_crm.py`` (needs ``pip install django``).
"""

from __future__ import annotations

import datetime

import django
from django.conf import settings

if not settings.configured:
    settings.configure(INSTALLED_APPS=["django.contrib.contenttypes"], USE_I18N=False)
    django.setup()

from django import forms
from django.db import models

import warden

#: The preset, compiled once per process (thread-safe: a bounded instance pool).
CRM = warden.Warden.from_preset("crm")

#: Form field -> the preset's record key.
FIELDS = {
    "first_name": "firstName",
    "last_name": "lastName",
    "email": "email",
    "password": "password",
    "organization": "organization",
    "employee_id": "employeeId",
}
RECORD_TO_FIELD = {v: k for k, v in FIELDS.items()}


class CrmUser(models.Model):
    """The CRM's user table (unmanaged here: the example never touches a database)."""

    first_name = models.CharField(max_length=200)
    last_name = models.CharField(max_length=200)
    email = models.CharField(max_length=320)
    organization = models.CharField(max_length=200)
    employee_id = models.CharField(max_length=64)

    class Meta:
        app_label = "crm"
        managed = False


class CrmUserForm(forms.ModelForm):
    """Creates a CRM user; every rule comes from Warden's ``crm`` preset."""

    password = forms.CharField(widget=forms.PasswordInput)

    class Meta:
        model = CrmUser
        fields = ("first_name", "last_name", "email", "organization", "employee_id")

    def __init__(self, *args, today: datetime.date | None = None, lang: str = "en", **kwargs):
        super().__init__(*args, **kwargs)
        # Warden has no clock: the date is an input.
        self.today = (today or datetime.date.today()).isoformat()
        self.lang = lang
        for field in self.fields.values():
            field.required = False  # Warden decides what is required, with its own message

    def clean(self):
        cleaned = super().clean()
        record = {
            key: cleaned[name]
            for name, key in FIELDS.items()
            if cleaned.get(name) not in (None, "")
        }
        decision = CRM.validate(record, today=self.today, lang=self.lang)
        for v in decision["violations"]:
            if v["severity"] != "error":
                continue
            field = RECORD_TO_FIELD.get(v["path"][0]) if v["path"] else None
            self.add_error(field if field in self.fields else None, v["message"])
        for key, value in decision.get("normalized", {}).items():
            if key in RECORD_TO_FIELD and key != "password":
                cleaned[RECORD_TO_FIELD[key]] = value
        self.warden_checks = decision["checks"]
        return cleaned


if __name__ == "__main__":
    form = CrmUserForm(
        data={
            "first_name": "Jean",
            "last_name": "Dupont",
            "email": "jean.dupont@@crm.example",
            "password": "Kx7#mPq2vL",
            "organization": " company-a ",
            "employee_id": "",
        },
        today=datetime.date(2026, 11, 22),
    )
    print(form.is_valid(), dict(form.errors))
