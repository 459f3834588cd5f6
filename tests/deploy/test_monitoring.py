"""deploy/monitoring/: the alerts pass Prometheus's own checker and its rule tests (promtool, from
Debian's prometheus package: `make tools`), and the dashboard's every query parses and reads metrics the
suite exposes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from services.common.ops import counters

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deploy" / "monitoring"
PROMTOOL = Path(os.environ.get("PROMTOOL") or ROOT / ".stack" / "bin" / "promtool")
# what the processes expose besides the process collector's: docs/deploy.md's metrics table
DOCUMENTED = {re.sub(r"_total$", "", name) for name in re.findall(
    r"^\| `(cadre_\w+)`", (ROOT / "docs" / "deploy.md").read_text(), re.M)}


@pytest.fixture(scope="module")
def promtool():
    if not PROMTOOL.is_file():
        pytest.fail(f"promtool is not installed at {PROMTOOL}: run `make tools`", pytrace=False)
    return str(PROMTOOL)


@pytest.fixture
def rules(tmp_path):
    """The PrometheusRule's groups as the plain rule file promtool reads, beside the rule tests."""
    manifest = yaml.safe_load((MONITORING / "prometheusrule.yaml").read_text())
    assert (manifest["apiVersion"], manifest["kind"]) == ("monitoring.coreos.com/v1", "PrometheusRule")
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": manifest["spec"]["groups"]}))
    shutil.copy(MONITORING / "alerts-test.yaml", tmp_path)
    return tmp_path


def run(*args, cwd=None):
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_alert_rules_pass_promtool(promtool, rules):
    assert "SUCCESS" in run(promtool, "check", "rules", str(rules / "rules.yaml"))


def test_each_alert_fires_on_what_it_is_for_and_not_on_refusals(promtool, rules):
    assert "SUCCESS" in run(promtool, "test", "rules", "alerts-test.yaml", cwd=rules)


def metric_names(expr: str) -> set[str]:
    return {re.sub(r"_(total|bucket|sum|count)$", "", name)
            for name in re.findall(r"\b((?:cadre|process)_\w+)", expr)}


def test_the_alerts_read_only_metrics_the_suite_has():
    groups = yaml.safe_load((MONITORING / "prometheusrule.yaml").read_text())["spec"]["groups"]
    used = set().union(*(metric_names(rule["expr"]) for group in groups for rule in group["rules"]))
    assert used and used <= DOCUMENTED, used - DOCUMENTED
    # every counter kept outside a container is documented
    kept = {metric.name for metric in counters.PROCESS_REGISTRY.collect()}
    assert {re.sub(r"_total$", "", name) for name in kept} <= DOCUMENTED


def test_every_dashboard_query_parses_and_reads_the_suites_metrics(promtool, tmp_path):
    dashboard = json.loads((MONITORING / "dashboard.json").read_text())
    queries = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    assert len(queries) >= 15
    # promtool checks PromQL in rule files: each query as a recording rule ($namespace as Grafana fills it)
    recorded = [{"record": f"dashboard:query{i}", "expr": expr.replace("$namespace", ".*")}
                for i, expr in enumerate(queries)]
    (tmp_path / "queries.yaml").write_text(yaml.safe_dump({"groups": [{"name": "q", "rules": recorded}]}))
    assert "SUCCESS" in run(promtool, "check", "rules", str(tmp_path / "queries.yaml"))
    used = set().union(*map(metric_names, queries))
    process = {name for name in used if name.startswith("process_")}
    assert used - process <= DOCUMENTED, used - process - DOCUMENTED
    assert len({panel["id"] for panel in dashboard["panels"]}) == len(dashboard["panels"])
