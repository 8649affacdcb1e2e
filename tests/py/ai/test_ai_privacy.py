"""No personal data and no secret reaches an AI provider. An organization whose personal-data policy is
keep sends, through the real PostgREST's /rpc/capture_error, errors carrying e-mail and IP addresses,
phone numbers, names and user names in user fields, user ids, a home directory, a search term in a
URL, and every kind of secret of the scrubbing tests' corpus (tests/py/scrub_support.py: card
numbers, IBANs, social security numbers, bearer tokens, key=value and spaced pairs, PEM keys, the
keys of eleven vendors, passwords in URLs) in every field a prompt shows and in its metadata. The
personal data is stored (keep), yet after Claude and GPT analysed the errors (automatically and on
request, through the official SDKs, against local servers) none of it, nor any secret, is in any
request body they received."""

from __future__ import annotations

import json
import random
import string
import uuid
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus

import httpx
import psycopg
import pytest
from ai_support import finished, request, use_provider, worker
from provider_servers import AnthropicStub, OpenAIStub
from scrub_support import Canaries

from tests.conftest import postgrest_over_clone
from tests.py.jobs_support import wait_until
from workers import sql


@pytest.fixture(scope="module")
def api(pg_cluster, template_database):
    """A PostgREST over a clone of its own: the worker here must not run other tests' jobs."""
    with postgrest_over_clone(pg_cluster, template_database) as server:
        yield server


VENDOR_KEYS = ("google", "openai", "anthropic", "gitlab", "npm", "twilio", "whsec", "sendgrid", "slack", "aws", "jwt")


@dataclass
class Corpus:
    """Unique canaries of one run: personal data (kept by the policy) and the scrubbing tests' secrets
    (scrub_support.Canaries: every shape they send, scrubbed at capture)."""

    rng: random.Random = field(default_factory=lambda: random.Random(uuid.uuid4().int))
    personal: dict[str, str] = field(default_factory=dict)
    secrets: Canaries = field(default_factory=lambda: Canaries(seed=uuid.uuid4().int))

    def token(self, length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(length))

    def digits(self, length: int) -> str:
        return "".join(self.rng.choice(string.digits) for _ in range(length))

    def __post_init__(self) -> None:
        tag = self.token(8, string.ascii_lowercase)
        octets = [self.rng.randint(2, 250) for _ in range(6)]
        self.personal.update({
            "email": f"pii.{tag}@mail.example.com", "email in a component": f"second.{tag}@example.org",
            "email of the user": f"user.{tag}@example.net",
            "ip": f"10.{octets[0]}.{octets[1]}.{octets[2]}", "ip of a frame": f"172.16.{octets[3]}.{octets[4]}",
            "forwarded ip": f"192.168.{octets[5]}.{octets[0]}", "ipv6": f"2001:db8:{self.digits(4)}::{self.digits(3)}",
            "phone +1": f"+1 555 010 {self.digits(4)}", "phone (area)": f"(555) 013-{self.digits(4)}",
            "phone +44": f"+44 20 7946 {self.digits(4)}", "phone national": f"030 {self.digits(8)}",
            "name": f"Canary{tag.capitalize()} Smithers", "other person's name": f"Wanda{tag.capitalize()} Jones",
            "user name": f"canary_{tag}", "first name": f"Firstcanary{tag}", "last name": f"Lastcanary{tag}",
            "user id": f"cust-{self.digits(7)}", "search term": f"{self.digits(2)} Canary{tag} Lane",
        })

    def events(self) -> list[dict]:
        """The group analysed (personal data and every kind of secret in each field a prompt shows, and in
        its metadata) and a similar group of another person."""
        p = self.personal
        m, t, u, c, f = (self.secrets.at(where) for where in ("message", "stack trace", "url", "component", "file"))
        x = self.secrets.at("metadata")
        other = p["other person's name"]
        return [{
            "error_type": "javascript", "severity": "critical",
            "message": (f"TypeError: Cannot read properties of undefined (reading 'total') for {p['name']} "
                        f"<{p['email']}> from {p['ip']}, call {p['phone +1']} or {p['phone (area)']}; paid with "
                        f"{m.card()} / {m.card('-')} / {m.card('.')} / {m.card_digits()} / {m.iban(True)} / "
                        f"{m.iban()}; ssn {m.ssn()} or {m.ssn(' ')}; Authorization: {m.bearer()}; {m.pair()}; "
                        f"{m.pair('pwd', ' = ')}; "
                        f"{m.spaced_secret()}; keys {' '.join(m.vendor_key(kind) for kind in VENDOR_KEYS)}"),
            "stack_trace": ("TypeError: Cannot read properties of undefined (reading 'total') "
                            f"{t.pair('token', ': ')}\n"
                            "    at renderCart (https://shop.test/static/cart.js:10:5)\n"
                            f"    at loadUser (/home/{p['user name']}/shop/user.js:4:2)\n"
                            f"    at main (http://{p['ip of a frame']}:3000/main.js:1:1)\n"
                            f"    {t.pem()}\n    {t.vendor_key('aws')} {t.iban(True)} {t.card()}"),
            "url": (f"https://shop.test/users/{p['user id']}/account?email={p['email'].replace('@', '%40')}"
                    f"&note=Bearer+{u.secret()}&c={u.card('+')}&{u.pair('api_key')}"
                    f"&q={p['search term'].replace(' ', '+')}&next=/cart#{p['search term']}"),
            "component": f"Account {p['email in a component']} {c.pair()} {c.vendor_key('google')}",
            "file_path": f"/srv/shop/cart.js {f.vendor_key('openai')} {f.ssn()}",
            "user_id": p["user id"],
            "metadata": {
                "user": {"id": p["user id"], "email": p["email of the user"], "name": p["name"],
                         "username": p["user name"], "ip_address": p["ipv6"], "phone": p["phone +44"]},
                "customer": {"first_name": p["first name"], "last_name": p["last name"], "mobile": p["phone national"]},
                "headers": {"X-Forwarded-For": p["forwarded ip"], "Authorization": x.bearer()},
                "tags": {kind: x.vendor_key(kind) for kind in VENDOR_KEYS},
                "breadcrumbs": [{"message": f"signed in as {p['user name']} with {x.vendor_key('jwt')}"}],
                "extra": {"key": x.pem(), "database": f"postgres://shop:{x.secret()}@db-1:5432/shop",
                          "password": x.secret(), "card": int(x.card_digits()), "iban": x.iban(True), "ssn": x.ssn(),
                          "config": x.pair("api_key", ": ")}},
        }, {
            # a similar error of someone else: offered to the model among the similar errors
            "error_type": "javascript", "severity": "error",
            "message": f"TypeError: Cannot read properties of undefined (reading 'items') for {other}",
            "stack_trace": "TypeError: Cannot read properties of undefined (reading 'items')\n"
                           "    at renderList (https://shop.test/static/cart.js:30:5)",
            "metadata": {"user": {"name": other}},
        }]

    def leaked(self, text: str) -> list[str]:
        """The canaries in a text: personal data in any case, as written or percent-encoded (as in a URL),
        and the secrets as the scrubbing tests look for them."""
        lowered = text.lower()
        return sorted([label for label, value in self.personal.items()
                       if any(form.lower() in lowered for form in (value, quote(value, safe=""), quote_plus(value)))]
                      + self.secrets.leaked(text))


def test_no_personal_data_or_secret_reaches_a_provider_even_when_the_organization_keeps_it(api, monkeypatch):
    base_url, _, database_url = api
    corpus = Corpus()
    with psycopg.connect(database_url, autocommit=True) as db, AnthropicStub() as anthropic, OpenAIStub() as openai:
        for name, value in {**anthropic.environment(), **openai.environment()}.items():
            monkeypatch.setenv(name, value)
        (organization_id,) = db.execute("INSERT INTO app.organizations (name) VALUES (%s) RETURNING id",
                                        [corpus.personal["name"]]).fetchone()
        (key,) = db.execute("INSERT INTO app.projects (organization_id, name) VALUES (%s, 'shop') RETURNING public_key",
                            [organization_id]).fetchone()
        db.execute(sql.ORG_RATE_LIMIT_SET, [organization_id, 0])
        db.execute(sql.ORG_PERSONAL_DATA_SET, [organization_id, "keep", "keep", "keep"])
        use_provider(db, "anthropic")
        use_provider(db, "openai")
        db.execute("UPDATE app.ai_setting SET default_provider = 'anthropic'")  # new groups go to Claude by themselves

        for event in corpus.events():
            captured = httpx.post(base_url + "/rpc/capture_error", json=event, headers={"X-Pgwarden-Key": key})
            assert captured.status_code == 200, captured.text
        error_id, similar_id = (str(row[0]) for row in db.execute(
            "SELECT id FROM app.system_errors WHERE organization_id = %s ORDER BY severity DESC", [organization_id]))

        stored = db.execute("SELECT s::text, (SELECT string_agg(e::text, ' ') FROM app.error_events e"
                            " WHERE e.organization_id = s.organization_id) FROM app.system_errors s WHERE s.id = %s",
                            [error_id]).fetchone()
        assert set(corpus.leaked(" ".join(stored))) >= set(corpus.personal) - {"other person's name"}, \
            "under keep the personal data is stored (so it is the prompt's own pass that removes it)"
        assert corpus.secrets.leaked(" ".join(stored)) == [], "secrets are scrubbed at capture"

        with worker(database_url):
            automatic = wait_until(lambda: db.execute("SELECT array_agg(id::text) FROM app.ai_analysis_run"
                                                      " WHERE organization_id = %s", [organization_id]).fetchone()[0],
                                   what="the automatic analyses")
            for run_id in automatic:
                finished(db, run_id)
            finished(db, request(db, error_id, "openai")["id"])
            finished(db, request(db, similar_id, "anthropic", fresh=True)["id"])

    bodies = anthropic.raw_bodies() + openai.raw_bodies()
    assert len(anthropic.bodies()) >= 3 and len(openai.bodies()) == 1
    prompts = [message["content"] for body in anthropic.bodies() + openai.bodies() for message in body["messages"]]
    assert any("[user]" in prompt and "[email]" in prompt and "[phone]" in prompt and "[ip]" in prompt
               for prompt in prompts), "the markers show what was removed"
    assert any(similar_id in prompt for prompt in prompts), "the similar error was offered, without its person"
    assert len(corpus.secrets.secrets) > 70 and len(corpus.personal) == 18, "the whole corpus was sent"
    assert corpus.leaked("\n".join(bodies)) == []
    assert corpus.leaked(json.dumps(prompts, ensure_ascii=False)) == []
