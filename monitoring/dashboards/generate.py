"""Writes the Grafana dashboards (JSON) from the panel lists below: `python generate.py`.

Kept as code so every panel's PromQL sits in one readable place; the test suite checks
that the JSON files are what this script writes, that every query parses in Prometheus,
and that every metric it names is one the dcctl exporter really exports.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent


def panel(title: str, expr: str, kind: str = "timeseries", legend: str = "", unit: str = "",
          w: int = 12, h: int = 8, thresholds: list[tuple[float, str]] | None = None) -> dict:
    return {"title": title, "type": kind, "w": w, "h": h, "unit": unit, "legend": legend, "expr": expr,
            "thresholds": thresholds or []}


DASHBOARDS = {
    "dcctl-datacentre-overview": ("Data centre overview: sites, racks, power, temperature", [
        panel("Racks per site", "sum by (site) (dcctl_inventory_racks)", "stat", "{{site}}", w=6, h=4),
        panel("Servers per site", 'sum by (site) (dcctl_inventory_devices{role=~"controller|compute|storage"})',
              "stat", "{{site}}", w=6, h=4),
        panel("BMCs not answering", "count(dcctl_bmc_up == 0) or vector(0)", "stat", w=6, h=4,
              thresholds=[(0, "green"), (1, "red")]),
        panel("Devices per build-out status", "sum by (status) (dcctl_buildout_devices)", "piechart",
              "{{status}}", w=6, h=4),
        panel("Rack power: measured / budget",
              "sum by (site, rack) (dcctl_hardware_power_consumed_watts) / on (site, rack) "
              "max by (site, rack) (dcctl_rack_power_budget_watts)", "bargauge", "{{site}} {{rack}}",
              "percentunit", thresholds=[(0, "green"), (0.8, "orange"), (0.9, "red")]),
        panel("Rack power: planned / budget", "dcctl_rack_power_allocated_watts / dcctl_rack_power_budget_watts",
              "bargauge", "{{rack}}", "percentunit", thresholds=[(0, "green"), (0.8, "orange"), (0.9, "red")]),
        panel("Rack units occupied", "dcctl_rack_occupied_units / dcctl_rack_height_units", "bargauge",
              "{{rack}}", "percentunit"),
        panel("Inlet temperature", 'dcctl_hardware_temperature_celsius{sensor=~"(?i).*inlet.*"}',
              legend="{{rack}} {{device}}", unit="celsius"),
        panel("Power drawn per server", "dcctl_hardware_power_consumed_watts", legend="{{device}}", unit="watt"),
        panel("Failed power supplies", "dcctl_hardware_psu_healthy == 0", "table", "{{device}} {{psu}}"),
        panel("Fan speeds", "dcctl_hardware_fan_speed_rpm", legend="{{device}} {{fan}}", unit="rotrpm"),
    ]),
    "dcctl-cloud-health": ("Cloud health: OpenStack APIs, bare metal, playbooks, the exporter", [
        panel("API up", "dcctl_openstack_api_up", "stat", "{{service}}", w=12, h=4,
              thresholds=[(0, "red"), (1, "green")]),
        panel("API response time", "dcctl_openstack_api_response_seconds", legend="{{service}}", unit="s"),
        panel("Bare-metal nodes by provision state", "sum by (provision_state) (dcctl_baremetal_nodes)",
              "bargauge", "{{provision_state}}"),
        panel("Nodes in error or maintenance",
              "sum(dcctl_baremetal_node_error) + sum(dcctl_baremetal_node_maintenance)", "stat", w=6, h=4),
        panel("Drift: YAML vs cloud", "dcctl_drift_items", "stat", "{{kind}}", w=6, h=4,
              thresholds=[(0, "green"), (1, "orange")]),
        panel("Playbooks: last run succeeded", "dcctl_playbook_last_run_success", "stat", "{{playbook}}",
              w=6, h=4, thresholds=[(0, "red"), (1, "green")]),
        panel("Playbook duration", "dcctl_playbook_last_run_duration_seconds", "bargauge", "{{playbook}}", "s"),
        panel("Failed hosts per playbook", "dcctl_playbook_last_run_failed_hosts", "bargauge", "{{playbook}}"),
        panel("Collector age", "time() - dcctl_exporter_collector_last_success_timestamp_seconds", "bargauge",
              "{{collector}}", "s", thresholds=[(0, "green"), (300, "orange"), (600, "red")]),
        panel("Collector duration", "dcctl_exporter_collector_duration_seconds", legend="{{collector}}", unit="s"),
    ]),
    "dcctl-tenants": ("Tenants: quota use per ministry and onboarding phase", [
        panel("Projects per phase", "count by (phase) (dcctl_tenant_project_info)", "stat", "phase {{phase}}",
              w=6, h=4),
        panel("Projects the exporter cannot read", "count(dcctl_tenant_project_readable == 0) or vector(0)",
              "stat", w=6, h=4, thresholds=[(0, "green"), (1, "red")]),
        panel("Tenant drift (YAML vs cloud)", 'dcctl_drift_items{kind="tenant"}', "stat", w=6, h=4,
              thresholds=[(0, "green"), (1, "orange")]),
        panel("Quotas above 90 %",
              "count(dcctl_tenant_quota_usage / (dcctl_tenant_quota_limit > 0) > 0.9) or vector(0)", "stat",
              w=6, h=4, thresholds=[(0, "green"), (1, "red")]),
        panel("Cores used / quota per ministry",
              'sum by (tenant) (dcctl_tenant_quota_usage{resource="cores"}) / '
              'sum by (tenant) (dcctl_tenant_quota_limit{resource="cores"} > 0)',
              "bargauge", "{{tenant}}", "percentunit", thresholds=[(0, "green"), (0.8, "orange"), (0.9, "red")]),
        panel("RAM used / quota per ministry",
              'sum by (tenant) (dcctl_tenant_quota_usage{resource="ram_gb"}) / '
              'sum by (tenant) (dcctl_tenant_quota_limit{resource="ram_gb"} > 0)',
              "bargauge", "{{tenant}}", "percentunit", thresholds=[(0, "green"), (0.8, "orange"), (0.9, "red")]),
        panel("Volume storage used / quota per ministry",
              'sum by (tenant) (dcctl_tenant_quota_usage{resource="gigabytes"}) / '
              'sum by (tenant) (dcctl_tenant_quota_limit{resource="gigabytes"} > 0)',
              "bargauge", "{{tenant}}", "percentunit", thresholds=[(0, "green"), (0.8, "orange"), (0.9, "red")]),
        panel("Cores used per phase",
              'sum by (phase) (dcctl_tenant_quota_usage{resource="cores"} * on (tenant, project) '
              "group_left (phase) dcctl_tenant_project_info)", legend="phase {{phase}}"),
        panel("Fullest quotas (use / limit)",
              "topk(20, dcctl_tenant_quota_usage / (dcctl_tenant_quota_limit > 0))", "table",
              "{{tenant}} {{project}} {{resource}}", "percentunit", w=24),
    ]),
    "dcctl-eservices": ("E-services: the citizen portal's services by category and ministry", [
        panel("Services up", "sum(dcctl_service_up)", "stat", w=6, h=4),
        panel("Services down", "count(dcctl_service_up == 0) or vector(0)", "stat", w=6, h=4,
              thresholds=[(0, "green"), (1, "red")]),
        panel("Critical services down", 'count(dcctl_service_up{criticality="critical"} == 0) or vector(0)',
              "stat", w=6, h=4, thresholds=[(0, "green"), (1, "red")]),
        panel("Certificates expiring within 14 days",
              "count(dcctl_service_certificate_expiry_timestamp_seconds - time() < 14 * 86400) or vector(0)",
              "stat", w=6, h=4, thresholds=[(0, "green"), (1, "orange")]),
        panel("Availability by portal category", "avg by (category) (dcctl_service_up)", "bargauge",
              "{{category}}", "percentunit", thresholds=[(0, "red"), (0.99, "orange"), (1, "green")]),
        panel("Availability by ministry",
              "avg by (tenant_name) (dcctl_service_up * on (service, tenant) group_left (tenant_name) "
              "dcctl_service_info)", "bargauge", "{{tenant_name}}", "percentunit",
              thresholds=[(0, "red"), (0.99, "orange"), (1, "green")]),
        panel("Every service (1 up, 0 down) by category and ministry",
              "dcctl_service_up * on (service, tenant) group_left (name, tenant_name) dcctl_service_info",
              "table", "{{category}} / {{tenant_name}} / {{name}}", w=24, thresholds=[(0, "red"), (1, "green")]),
        panel("Response time (slowest endpoint)", "dcctl_service_probe_duration_seconds", legend="{{service}}",
              unit="s"),
        panel("Availability over the last day by category", "avg by (category) (avg_over_time(dcctl_service_up[1d]))",
              legend="{{category}}", unit="percentunit"),
        panel("Certificate days left",
              "min by (service, tenant) ((dcctl_service_certificate_expiry_timestamp_seconds - time()) / 86400)",
              "bargauge", "{{service}}", thresholds=[(0, "red"), (14, "orange"), (30, "green")]),
        panel("HTTP status per endpoint", "dcctl_service_http_status", "table", "{{service}} {{endpoint}}",
              thresholds=[(0, "green"), (400, "orange"), (500, "red")]),
    ]),
}


def grafana(uid: str, title: str, panels: list[dict]) -> dict:
    out, x, y, row_h = [], 0, 0, 0
    for i, p in enumerate(panels, start=1):
        if x + p["w"] > 24:
            x, y, row_h = 0, y + row_h, 0
        steps = [{"value": None if n == 0 else v, "color": c} for n, (v, c) in enumerate(p["thresholds"])]
        out.append({
            "id": i, "type": p["type"], "title": p["title"],
            "gridPos": {"x": x, "y": y, "w": p["w"], "h": p["h"]},
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "targets": [{"refId": "A", "expr": p["expr"], "legendFormat": p["legend"],
                         "datasource": {"type": "prometheus", "uid": "${datasource}"}}],
            "fieldConfig": {"defaults": {"unit": p["unit"] or "short",
                                         "thresholds": {"mode": "absolute", "steps": steps or
                                                        [{"value": None, "color": "green"}]}},
                            "overrides": []},
            "options": {},
        })
        x, row_h = x + p["w"], max(row_h, p["h"])
    return {
        "uid": uid, "title": title, "tags": ["dcctl"], "timezone": "browser", "schemaVersion": 39,
        "version": 1, "refresh": "30s", "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": [{"name": "datasource", "type": "datasource", "query": "prometheus",
                                 "label": "Prometheus"}]},
        "panels": out,
    }


def render() -> dict[str, str]:
    return {f"{uid}.json": json.dumps(grafana(uid, title, panels), indent=2) + "\n"
            for uid, (title, panels) in DASHBOARDS.items()}


if __name__ == "__main__":
    for name, text in render().items():
        (HERE / name).write_text(text)
        print(f"wrote {HERE / name}")
