"""Every error code pgwarden can answer with is registered in app.error_code (with its HTTP status):
each 'Q…' literal anywhere in db/ (raised, caught, answered as a problem, compared) and each code
string in workers/ (Python, templates, the widget's script). A code that is not registered would
leave with status 400 and no description; the assertion names it and where it is written."""

from __future__ import annotations

import re
from pathlib import Path

from workers.settings import DB_DIR, REPO_ROOT

WORKERS_DIR = REPO_ROOT / "workers"
# a SQLSTATE of pgwarden's classes: QV invalid, QN not found, QS bad state, QR rate limited, QA forbidden
SQL_CODE_LITERAL = re.compile(r"'(Q[VNSRA][0-9A-Z]{3})'")
PROGRAM_CODE_LITERAL = re.compile(r"""["'](Q[VNSRA][0-9A-Z]{3})["']""")
# a string shaped like an error code of another scheme (pgwarden web's PGW503 was one): letters,
# then a three-digit status; or any string given as a `code`
CODE_LIKE = re.compile(r"""["']([A-Z][A-Z0-9]{1,3}[0-9]{3})["']|\bcode\b["']?\s*[:=]\s*["']([^"']*)["']""")
NOT_CODES = {"HS256"}  # (the JWT algorithm)


def is_class(code: str) -> bool:
    """'QN000' names the whole class (EXCEPTION WHEN SQLSTATE 'QN000' catches every QN code)."""
    return code.endswith("000")


def code_literals(paths, pattern: re.Pattern) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in paths:
        for match in pattern.finditer(path.read_text()):
            code = next(group for group in match.groups() if group is not None)
            found.setdefault(code, set()).add(str(path.relative_to(REPO_ROOT)))
    return found


def unregistered(found: dict[str, set[str]], registered: set[str]) -> list[str]:
    return [f"{code} in {', '.join(sorted(where))}" for code, where in sorted(found.items())
            if code not in registered and not is_class(code)]


def registered_codes(db) -> set[str]:
    return {code for (code,) in db.execute("SELECT code FROM app.error_code")}


def worker_files(suffixes=("py", "html", "js")) -> list[Path]:
    """Our own files (not the vendored scripts the web app serves)."""
    return [path for suffix in suffixes for path in WORKERS_DIR.rglob(f"*.{suffix}") if "vendor" not in path.parts]


def test_every_q_code_literal_in_db_is_registered(db):
    found = code_literals(DB_DIR.rglob("*.sql"), SQL_CODE_LITERAL)
    assert len(found) > 50, "expected the schema and functions to name their codes"
    assert unregistered(found, registered_codes(db)) == []


def test_every_code_in_workers_is_registered(db):
    found = code_literals(worker_files(), PROGRAM_CODE_LITERAL)
    assert len(found) > 20, "expected pgwarden web to name its codes"
    assert unregistered(found, registered_codes(db)) == []


def test_every_code_workers_answer_with_is_a_q_code(db):
    # a code that is no Q-code at all (pgwarden web's PGW503 was one) cannot be registered
    found = code_literals(worker_files(("py",)), CODE_LIKE)
    assert [f"{code} in {', '.join(sorted(where))}" for code, where in sorted(found.items())
            if not PROGRAM_CODE_LITERAL.fullmatch(f'"{code}"') and code not in NOT_CODES] == []


def test_each_registered_code_has_a_status_of_its_class(db):
    # the registry's status is what every part answers with; a class's codes share their kind of status
    rows = db.execute("SELECT code, http_status FROM app.error_code").fetchall()
    for code, status in rows:
        assert 400 <= status <= 499 or (code, status) == ("QR003", 503), f"{code}: {status}"
        if code.startswith("QN"):
            assert status == 404, code
        # a refusal that says when to try again (429, 503) is a QR code, and every QR code is one
        assert code.startswith("QR") == (status in (429, 503)), code


def test_pgwarden_web_answers_its_own_codes_with_their_registered_status(db):
    # where Python writes a status next to a code, the registry's status is the one it writes
    statuses = dict(db.execute("SELECT code, http_status FROM app.error_code").fetchall())
    named = {}  # NAME = "Q…" constants
    written = []  # (status, code or constant, file)
    for path in (WORKERS_DIR / "web").rglob("*.py"):
        text = path.read_text()
        named |= dict(re.findall(r"""^([A-Z_]+)\s*=\s*["'](Q[VNSRA][0-9A-Z]{3})["']""", text, flags=re.M))
        written += [(int(status), code.strip("\"'"), path.name) for status, code in re.findall(
            r"""(?:Refused|error_json|error_response)\(\s*(\d{3}),\s*(["']Q[VNSRA][0-9A-Z]{3}["']|[A-Z_]+\b)""", text)]
        # WireError subclasses: `status = 4xx` then `code = "Q…"`
        written += [(int(status), code, path.name) for status, code in re.findall(
            r"""status(?::\s*int)?\s*=\s*(\d{3})\s+code(?::\s*str)?\s*=\s*["'](Q[VNSRA][0-9A-Z]{3})["']""", text)]
    assert len(written) > 20
    resolved = [(status, named.get(code, code), where) for status, code, where in written]
    assert [entry for entry in resolved if statuses.get(entry[1]) != entry[0]] == []
