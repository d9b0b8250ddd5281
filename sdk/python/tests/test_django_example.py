"""The Django example of the CRM seed (003): a model form whose clean() asks Warden."""

import datetime
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "examples"))

import django_crm

TODAY = datetime.date(2026, 11, 22)
JEAN = {
    "first_name": "Jean",
    "last_name": "Dupont",
    "email": "jean.dupont@crm.example",
    "password": "Kx7#mPq2vL",
    "organization": " company-a ",
    "employee_id": "E-1001",
}


def test_a_valid_record_is_normalised_by_warden():
    form = django_crm.CrmUserForm(data=JEAN, today=TODAY)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["organization"] == "company-a"
    assert [c["check"] for c in form.warden_checks] == [
        "email_unique",
        "organization_exists",
        "employee_id_unique_in_company",
    ]
    user = form.save(commit=False)
    assert (user.organization, user.employee_id) == ("company-a", "E-1001")


def test_violations_land_on_their_fields_in_the_forms_language():
    data = dict(JEAN, email="jean@@crm.example", employee_id="")
    form = django_crm.CrmUserForm(data=data, today=TODAY)
    assert not form.is_valid()
    assert set(form.errors) == {"email", "employee_id"}
    french = django_crm.CrmUserForm(data=data, today=TODAY, lang="fr")
    assert not french.is_valid()
    assert list(french.errors["email"]) == ["n'est pas une adresse e-mail valide (plus d'un @)"]
    assert list(form.errors["email"]) == ["is not a valid email address (more than one @)"]
