"""Playbook results: the newest run of each playbook, from the run summaries dcctl keeps."""

from __future__ import annotations

from datetime import datetime


def collect_playbooks() -> list:
    from prometheus_client.core import GaugeMetricFamily

    from dcctl.playbooks.runs import latest_by_playbook

    when = GaugeMetricFamily("dcctl_playbook_last_run_timestamp_seconds", "Start of the playbook's last run.",
                             labels=["playbook"])
    success = GaugeMetricFamily("dcctl_playbook_last_run_success",
                                "1 when the last run had no failed or unreachable host.", labels=["playbook"])
    duration = GaugeMetricFamily("dcctl_playbook_last_run_duration_seconds", "How long the last run took.",
                                 labels=["playbook"])
    failed = GaugeMetricFamily("dcctl_playbook_last_run_failed_hosts",
                               "Hosts that failed or were unreachable in the last run.", labels=["playbook"])
    changed = GaugeMetricFamily("dcctl_playbook_last_run_changed_hosts", "Hosts the last run changed.",
                                labels=["playbook"])
    for name, run in sorted(latest_by_playbook().items()):
        when.add_metric([name], datetime.fromisoformat(run.start).timestamp())
        success.add_metric([name], 0 if run.status == "failed" else 1)
        duration.add_metric([name], run.duration)
        failed.add_metric([name], len(run.recap.bad_hosts))
        changed.add_metric([name], len(run.recap.changed_hosts))
    return [when, success, duration, failed, changed]
