"""The API keeps its contract: Schemathesis fuzzes every operation of /api/schema/.

A live server answers requests generated from the schema the server itself publishes, so
endpoints added later are fuzzed too. The data are real (the demo ISPs, a few customers
with a full card, invoices and payments, RADIUS logins, an issued document), every
request carries the token of one of the staff of two tenants in every role, and path ids
are, most of the time, real rows of that tenant or of the other one (which must be a 404).

Checked for every answer: no 5xx, the body matches the documented schema of its status,
the status and the content type are documented, and it came within ``MAX_RESPONSE``.
Bounded for CI: ``EXAMPLES`` generated cases per operation, derandomized (the same cases
on every run), no shrinking; the whole run is expected well under ``TIME_BUDGET``.
"""

import re
import time
from dataclasses import dataclass, field

import pytest
import requests
import schemathesis
from django.test import RequestFactory
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.request import Request
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from conftest import make_staff
from core.models import ApiToken, Membership, Tenant
from core.roles import Role
from core.tenancy import tenant_context
from voip.tests.conftest import asterisk_committed, asterisk_db  # noqa: F401  (fixtures)

EXAMPLES = 8
MAX_RESPONSE = 5.0  # seconds, for one answer (a PDF rendered on issue included)
TIME_BUDGET = 420  # seconds for the whole run; above it the fuzzing is too slow for CI
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance,
          content_type_conformance]
PATH_PARAM = re.compile(r"{([^}]+)}")
FUZZ_TOKEN = "schemathesis"

# Both databases: a phone changed through the API is written to Asterisk's realtime
# tables (loaded once per run by voip's fixture, emptied after the test).
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "asterisk"])


@dataclass
class Tokens:
    """Keys of every role in one tenant."""

    tenant: Tenant
    keys: dict[str, str] = field(default_factory=dict)


def _token(user, tenant) -> str:
    key = ApiToken.new_key()
    ApiToken.objects.create(user=user, tenant=tenant, key_hash=ApiToken.hash_key(key),
                            prefix=key[:8], name=FUZZ_TOKEN)
    return key


def _build_data() -> list[Tokens]:
    """The demo ISPs, small, and a token per role in each; a document issued in each."""
    from customers.demo import demo_load
    from customers.models import Customer
    from documents.models import DocumentType
    from documents.services import document_issue

    demo_load(customers_per_tenant=4, seed=12)
    result = []
    for tenant in Tenant.objects.order_by("slug"):
        tokens = Tokens(tenant)
        for role in Role:
            user = make_staff(tenant, f"fuzz-{role}-{tenant.slug}", role=role)
            tokens.keys[role] = _token(user, tenant)
        with tenant_context(tenant):
            customer = Customer.objects.order_by("pk").first()
            admin = Membership.objects.filter(tenant=tenant, role=Role.ADMIN).first().user
            document_issue(actor=admin, customer=customer,
                           document_type=DocumentType.CONTRACT)
        result.append(tokens)
    return result


# --------------------------------------------------------------------------- real ids

def _view_ids(path: str, method: str, tenant, values: dict) -> list:
    """Ids of the rows the view behind ``path`` would look ``{id}`` up in."""
    filled = path
    for name, value in values.items():
        filled = filled.replace("{" + name + "}", str(value))
    filled = PATH_PARAM.sub("1", filled)
    try:
        match = resolve(filled)
    except Resolver404:
        return []
    view_class = getattr(match.func, "cls", None)
    if view_class is None or not hasattr(view_class, "get_queryset"):
        return []
    view = view_class(**getattr(match.func, "initkwargs", {}))
    actions = getattr(match.func, "actions", None) or {}
    view.action_map = actions
    view.action = actions.get(method.lower())
    view.args, view.kwargs = (), {k: v for k, v in match.kwargs.items()
                                  if k not in ("pk", "id")}
    view.format_kwarg = None
    view.request = Request(RequestFactory().get(filled))
    try:
        with tenant_context(tenant):
            rows = view.get_queryset()
            if rows.model is ApiToken:
                rows = rows.exclude(name=FUZZ_TOKEN)
            return list(rows.order_by("-pk").values_list("pk", flat=True)[:4])
    except Exception:  # noqa: BLE001  a view whose queryset needs more than a URL
        return []


def _real_paths(schema_paths: dict, tenants: list[Tokens]) -> dict:
    """``{(path, method, tenant slug): [path parameter dicts]}`` of existing objects."""
    from customers.models import Customer

    found = {}
    for tokens in tenants:
        with tenant_context(tokens.tenant):
            customers = list(Customer.objects.order_by("pk").values_list("pk", flat=True)[:2])
        for path, methods in schema_paths.items():
            names = PATH_PARAM.findall(path)
            if not names:
                continue
            for method in methods:
                if method.upper() not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
                    continue
                options = []
                for customer_pk in customers if "customer_pk" in names else [None]:
                    base = {"customer_pk": customer_pk} if customer_pk else {}
                    rest = [n for n in names if n != "customer_pk"]
                    if not rest:
                        options.append(base)
                        continue
                    for pk in _view_ids(path, method, tokens.tenant, base):
                        options.append({**base, rest[0]: pk})
                if options:
                    found[(path, method.upper(), tokens.tenant.slug)] = options
    return found


# --------------------------------------------------------------------------- the run

@dataclass
class Outcome:
    operations: int = 0
    cases: int = 0
    statuses: dict = field(default_factory=dict)
    failures: dict = field(default_factory=dict)
    slowest: tuple = (0.0, "")


def _fuzz(operation, base_url: str, tenants: list[Tokens], real: dict, outcome: Outcome):
    path, method = operation.path, operation.method.upper()
    tenant_choice = st.sampled_from(range(len(tenants)))
    role_choice = st.sampled_from(list(Role))

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(), who=tenant_choice, role=role_choice,
           pick=st.integers(min_value=0, max_value=99))
    def run(case, who, role, pick):
        tokens = tenants[who]
        own = real.get((path, method, tokens.tenant.slug), [])
        foreign = real.get((path, method, tenants[1 - who].tenant.slug), [])
        # Mostly the tenant's own rows, sometimes the other tenant's (a 404), sometimes
        # whatever was generated.
        if own and pick < 70:
            case.path_parameters = {**case.path_parameters, **own[pick % len(own)]}
        elif foreign and pick < 85:
            case.path_parameters = {**case.path_parameters, **foreign[pick % len(foreign)]}
        # The schema's security schemes make Schemathesis invent credentials; ours replace
        # them, but one case in twenty goes with an unknown key (a 401).
        key = tokens.keys[role] if pick < 95 else "not-a-key"
        case.headers = {**(case.headers or {}), "Authorization": f"Token {key}",
                        "Accept-Language": "en"}
        case.cookies = {}
        started = time.monotonic()
        response = case.call(base_url=base_url, timeout=60)
        elapsed = time.monotonic() - started
        outcome.cases += 1
        outcome.statuses[response.status_code] = outcome.statuses.get(
            response.status_code, 0) + 1
        if elapsed > outcome.slowest[0]:
            outcome.slowest = (elapsed, f"{method} {path} → {response.status_code}")
        try:
            if elapsed > MAX_RESPONSE:
                raise AssertionError(f"answered in {elapsed:.1f} s (limit {MAX_RESPONSE} s)")
            case.validate_response(response, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001  all reported
            outcome.failures.setdefault(f"{method} {path}", f"{role} of {tokens.tenant.slug}"
                                        f" {case.path_parameters} {case.query} "
                                        f"body={case.body!r:.300}\n{error}"[:3000])

    run()


@pytest.mark.usefixtures("asterisk_committed")
def test_api_conforms_to_its_schema(live_server):
    tenants = _build_data()
    base_url = live_server.url
    admin_key = tenants[0].keys[Role.ADMIN]
    raw = requests.get(f"{base_url}/api/schema/", params={"format": "json"}, timeout=60,
                       headers={"Authorization": f"Token {admin_key}"})
    assert raw.status_code == 200, raw.text[:500]
    raw_schema = raw.json()
    schema = schemathesis.openapi.from_dict(raw_schema)
    real = _real_paths(raw_schema["paths"], tenants)

    outcome = Outcome()
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        outcome.operations += 1
        _fuzz(operation, base_url, tenants, real, outcome)
        # The tokens API may have revoked the fuzzing's own keys: the next operation gets
        # them back, so it is not answered 401 throughout.
        ApiToken.objects.filter(name=FUZZ_TOKEN).update(revoked_at=None)
    took = time.monotonic() - started

    summary = (f"{outcome.operations} operations, {outcome.cases} cases in {took:.0f} s; "
               f"statuses {dict(sorted(outcome.statuses.items()))}; slowest "
               f"{outcome.slowest[0]:.2f} s ({outcome.slowest[1]})")
    print(summary)  # noqa: T201  the numbers of the run, with -s
    assert not outcome.failures, summary + "\n\n" + "\n\n".join(
        f"{operation}: {failure}" for operation, failure in sorted(outcome.failures.items()))
    assert outcome.operations > 80 and outcome.cases >= outcome.operations * 5, summary
    # The fuzzing reached real objects, not only 404s and refusals.
    assert sum(n for code, n in outcome.statuses.items() if code < 300) > outcome.operations
    assert took < TIME_BUDGET, summary
