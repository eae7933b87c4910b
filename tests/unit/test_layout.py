"""The house rules that keep every service alike (STYLE.md), checked on the source itself."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

from shared.config import REPO_ROOT, SERVICES

PYTHON = [
    p for d in ("shared", "services") for p in (REPO_ROOT / d).rglob("*.py") if "migrations" not in p.parts
]
# The domain: rules and use cases, no HTTP. They raise shared.errors.DomainError; the edge words it.
DOMAIN = [
    "services/routing/actions.py",
    "services/routing/steps.py",
    "services/routing/staff.py",
    "services/routing/lifecycle.py",
    "services/routing/cases.py",
    "services/routing/rules.py",
    "services/routing/deadlines.py",
    "services/routing/timers.py",
    "services/intake/grievances.py",
    "services/intake/tracking.py",
    "services/reports/summary.py",
    "services/notify/dispatcher.py",
    "services/notify/ledger.py",
    "services/notify/outgoing.py",
    "services/notify/channels.py",
    "services/routing/policy.py",
    "services/companion/days.py",
    "services/companion/programme.py",
    "services/companion/coverage.py",
    "services/companion/missed.py",
    "services/companion/directory.py",
    "services/companion/demo.py",
    "services/companion/diary.py",
]


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_same_files_for_the_same_jobs(service):
    folder = REPO_ROOT / "services" / service
    for name in ("config.py", "app.py", "api.py", "models.py", "handlers.py", "worker.py"):
        assert (folder / name).is_file(), f"{service} has no {name}"
    assert (folder / "migrations" / "versions").is_dir()
    config = importlib.import_module(f"services.{service}.config")
    assert service == config.SERVICE and config.load().service == service
    assert callable(importlib.import_module(f"services.{service}.app").create_app)


@pytest.mark.parametrize("service", SERVICES)
def test_the_http_layer_defines_no_models_schemas_py_does(service):
    for name in ("api.py", "app.py", "pages.py"):
        path = REPO_ROOT / "services" / service / name
        if path.exists():
            classes = [
                n
                for n in ast.walk(ast.parse(path.read_text()))
                if isinstance(n, ast.ClassDef) and any(getattr(b, "id", None) == "BaseModel" for b in n.bases)
            ]
            assert not classes, f"{path.name} defines {[c.name for c in classes]}"


@pytest.mark.parametrize("module", DOMAIN)
def test_a_domain_module_imports_no_flask(module):
    assert not {m for m in imports(REPO_ROOT / module) if m.split(".")[0] in ("flask", "werkzeug")}


def test_shared_imports_no_service():
    for path in (REPO_ROOT / "shared").glob("*.py"):
        assert not {m for m in imports(path) if m.startswith("services")}, path.name


def test_benchmarks_import_nothing_from_the_tests():
    for path in (REPO_ROOT / "bench").glob("*.py"):
        assert not {m for m in imports(path) if m == "tests" or m.startswith("tests.")}, path.name


def test_the_time_is_read_and_zoned_only_by_the_clock():
    reads = re.compile(r"datetime\.(utc)?now\(|\btime\.time\(\)|Asia/Shanghai|ZoneInfo\(")
    for path in PYTHON:
        if path.name != "clock.py":
            assert not reads.search(path.read_text()), (
                f"{path.relative_to(REPO_ROOT)} reads or zones the time"
            )


@pytest.mark.parametrize("service", SERVICES)
def test_every_refusal_of_a_service_domain_has_its_message(service):
    from shared.web import COMMON_MESSAGES

    catalogue = {
        **COMMON_MESSAGES,
        **getattr(importlib.import_module(f"services.{service}.api"), "MESSAGES", {}),
    }
    raised = re.compile(
        r"\b(?:NotFound|Unauthenticated|Forbidden|Conflict|Invalid|Throttled)\("
        r"\"(\w+)\"(?:, message=\"(\w+)\")?"
    )
    fields = re.compile(r"fields=\{\"\w+\": \"(\w+)\"\}")
    for path in (REPO_ROOT / "services" / service).glob("*.py"):
        text = path.read_text()
        for code, message in raised.findall(text):
            assert (message or code) in catalogue, f"{path.name}: {message or code} has no message"
        for message in fields.findall(text):
            assert message in catalogue, f"{path.name}: {message} has no message"
        for reason in re.findall(r"FeedbackRefused\(\"(\w+)\"", text):
            assert f"feedback_{reason}" in catalogue, f"{path.name}: feedback_{reason} has no message"
