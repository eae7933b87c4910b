"""What operators get: the alert rules pass promtool (syntax, and their own unit tests in
deploy/prometheus/alerts_test.yml), the Grafana dashboard is well formed, and every metric either
of them reads is one the services export.

promtool comes from Debian's `prometheus` package, which `make test-deps` installs (never running its
server). These tests need that binary, not RabbitMQ or PostgreSQL; they fail, never skip, without it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
ALERTS = PROMETHEUS / "alerts.yml"
ALERTS_TEST = PROMETHEUS / "alerts_test.yml"
DASHBOARDS = sorted((ROOT / "deploy" / "grafana" / "dashboards").glob("*.json"))
GRID_COLUMNS = 24

# The alerts of supervision running by itself (issue 10), each shown firing and quiet by alerts_test.yml.
TESTED_ALERTS = {
    "XinshengCalendarRunningOut",
    "XinshengTimerLag",
    "XinshengTimerErrors",
    "XinshengCasesOverdueAtCity",
    "XinshengNotificationsFailing",
    "XinshengNotifyCircuitOpen",
    "XinshengClockOffset",
    "XinshengCountyAcceptanceLate",
}

METRIC = re.compile(r"\bxinsheng_[a-z0-9_]+\b")
SOURCE_NAME = re.compile(r"""["'](xinsheng_[a-z0-9_]+)["']""")
KIND = re.compile(r"\b(Counter|Gauge|Histogram|Summary)(?:MetricFamily)?\b")
SERIES = {  # the series a metric of each kind is exposed as, from the name given to prometheus_client
    "Counter": ("_total", "_created"),
    "Gauge": ("",),
    "Histogram": ("_bucket", "_count", "_sum", "_created"),
    "Summary": ("", "_count", "_sum", "_created"),
}


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool")
    assert binary is not None, "promtool is missing: `make test-deps` installs it (Debian's prometheus)"
    return subprocess.run([binary, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def alert_rules() -> list[dict]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def dashboard_targets() -> list[tuple[str, dict, dict]]:
    """(dashboard file name, panel, target) for every query of every dashboard."""
    return [
        (path.name, panel, target)
        for path in DASHBOARDS
        for panel in json.loads(path.read_text())["panels"]
        for target in panel.get("targets", [])
    ]


def exported_series() -> set[str]:
    """Every series name the code can export, found by reading services/ and shared/: each quoted
    `xinsheng_…` name, exposed as its kind (the constructor named nearest before it) exposes it;
    when no kind is named near it, as any kind would."""
    names = set()
    for path in [*(ROOT / "services").rglob("*.py"), *(ROOT / "shared").rglob("*.py")]:
        text = path.read_text()
        for match in SOURCE_NAME.finditer(text):
            kinds = KIND.findall(text[max(0, match.start() - 400) : match.start()])
            suffixes = SERIES[kinds[-1]] if kinds else {s for found in SERIES.values() for s in found}
            base = match.group(1)
            if kinds and kinds[-1] == "Counter":
                base = base.removesuffix("_total")
            names |= {base + suffix for suffix in suffixes}
    return names


def test_alert_rules_pass_promtool_check():
    result = promtool("check", "rules", str(ALERTS.relative_to(ROOT)))
    assert result.returncode == 0, result.stdout + result.stderr


def test_prometheus_config_passes_promtool_check():
    # Its rule_files are relative to the config (alerts.yml beside it), as in the container: the
    # check loads and checks them too. Scrape targets are names in compose's network, not resolved.
    result = promtool("check", "config", str((PROMETHEUS / "prometheus.yml").relative_to(ROOT)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"SUCCESS: [1-9][0-9]* rule files found", result.stdout), result.stdout


def test_alert_rules_pass_their_unit_tests():
    result = promtool("test", "rules", str(ALERTS_TEST.relative_to(ROOT)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout, result.stdout


def test_the_rule_tests_show_each_supervision_alert_firing_and_quiet():
    seen: dict[str, set[bool]] = {}
    for case in yaml.safe_load(ALERTS_TEST.read_text())["tests"]:
        for check in case.get("alert_rule_test", []):
            seen.setdefault(check["alertname"], set()).add(bool(check.get("exp_alerts")))
    defined = {rule["alert"] for rule in alert_rules()}
    assert defined >= TESTED_ALERTS, f"not in alerts.yml: {TESTED_ALERTS - defined}"
    assert set(seen) <= defined, f"alerts_test.yml tests alerts that do not exist: {set(seen) - defined}"
    untested = {name: sorted(seen.get(name, ())) for name in TESTED_ALERTS if seen.get(name) != {True, False}}
    assert not untested, f"not shown both firing (True) and quiet (False): {untested}"


def test_every_alert_has_a_severity_a_summary_and_a_description():
    problems = [
        rule["alert"]
        for rule in alert_rules()
        if rule.get("labels", {}).get("severity") not in {"warning", "critical"}
        or not {"summary", "description"} <= set(rule.get("annotations", {}))
    ]
    names = [rule["alert"] for rule in alert_rules()]
    assert not problems, f"without severity, summary or description: {problems}"
    assert len(names) == len(set(names)), f"alert names repeated: {names}"


def test_dashboards_parse_with_unique_panel_ids_and_no_overlapping_panels():
    assert DASHBOARDS, "no Grafana dashboard"
    for path in DASHBOARDS:
        panels = json.loads(path.read_text())["panels"]
        ids = [panel["id"] for panel in panels]
        assert len(ids) == len(set(ids)), f"{path.name}: panel ids repeated: {ids}"
        cells: dict[tuple[int, int], str] = {}
        for panel in panels:
            grid = panel["gridPos"]
            assert grid["x"] >= 0 and grid["w"] > 0 and grid["h"] > 0, (path.name, panel["title"], grid)
            assert grid["x"] + grid["w"] <= GRID_COLUMNS, f"{path.name}: {panel['title']!r} is too wide"
            for x in range(grid["x"], grid["x"] + grid["w"]):
                for y in range(grid["y"], grid["y"] + grid["h"]):
                    other = cells.setdefault((x, y), panel["title"])
                    assert other == panel["title"], f"{path.name}: {panel['title']!r} overlaps {other!r}"


def test_every_dashboard_query_has_an_expression_and_its_own_ref_id():
    refs: dict[tuple[str, int], list[str]] = {}
    for name, panel, target in dashboard_targets():
        assert target.get("expr", "").strip(), f"{name}: {panel['title']!r} has a query without expr"
        refs.setdefault((name, panel["id"]), []).append(target["refId"])
    repeated = {key: ids for key, ids in refs.items() if len(ids) != len(set(ids))}
    assert refs and not repeated, repeated


def test_every_metric_the_dashboards_and_alerts_read_is_exported():
    used: dict[str, set[str]] = {}
    for name, panel, target in dashboard_targets():
        for metric in METRIC.findall(target["expr"]):
            used.setdefault(metric, set()).add(f"{name}: {panel['title']}")
    for rule in alert_rules():
        for metric in METRIC.findall(rule["expr"]):
            used.setdefault(metric, set()).add(f"alerts.yml: {rule['alert']}")
    for case in yaml.safe_load(ALERTS_TEST.read_text())["tests"]:
        for series in case.get("input_series", []):
            for metric in METRIC.findall(series["series"].split("{")[0]):
                used.setdefault(metric, set()).add("alerts_test.yml")
    assert used, "no xinsheng_ metric is read: the pattern is wrong"
    exported = exported_series()
    missing = {metric: sorted(where) for metric, where in used.items() if metric not in exported}
    assert not missing, f"read, but exported by no code in services/ or shared/: {missing}"
