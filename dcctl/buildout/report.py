"""The build-out report for managers: one self-contained HTML page (no scripts, no downloads).

Per site and hall: devices per build-out status, rack units and power committed
against what the racks offer, each rack's elevation coloured by status, and a
chart of progress over time drawn from the dates in each device's lifecycle.
Pure: inventory in, HTML text out.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from html import escape

from dcctl.inventory.elevation import rack_elevation_svg
from dcctl.inventory.model import Device, LifecycleStatus
from dcctl.inventory.rack_inventory import RackInventory

STATUS_COLOURS: dict[LifecycleStatus | None, str] = {
    LifecycleStatus.PLANNED: "#bab0ac",
    LifecycleStatus.DELIVERED: "#edc948",
    LifecycleStatus.INSTALLED: "#f28e2b",
    LifecycleStatus.CABLED: "#76b7b2",
    LifecycleStatus.PROVISIONED: "#4e79a7",
    LifecycleStatus.IN_SERVICE: "#59a14f",
    LifecycleStatus.DECOMMISSIONING: "#e15759",
    None: "#9c9c9c",
}
STATUSES = list(LifecycleStatus)


def status_label(status: LifecycleStatus | None) -> str:
    return status.value if status else "untracked"


def status_counts(devices: list[Device]) -> Counter:
    return Counter(d.status for d in devices)


def progress_series(devices: list[Device]) -> dict[LifecycleStatus, list[tuple[dt.date, int]]]:
    """For each status, how many devices had reached it (or a later one) on each date it changed."""
    series: dict[LifecycleStatus, list[tuple[dt.date, int]]] = {}
    for status in STATUSES[:-1]:  # decommissioning is not progress
        dates = sorted(_date_reached(d, status) for d in devices if _date_reached(d, status))
        points, count = [], 0
        for when in dates:
            count += 1
            if points and points[-1][0] == when:
                points[-1] = (when, count)
            else:
                points.append((when, count))
        series[status] = points
    return series


def _date_reached(device: Device, status: LifecycleStatus) -> dt.date | None:
    """When the device reached ``status``: its own date, else the earliest later status' date."""
    later = [when for s, when in device.lifecycle.items() if s.rank >= status.rank]
    return min(later) if later else None


def build_report(inv: RackInventory, site: str | None = None, today: dt.date | None = None) -> str:
    today = today or dt.date.today()
    sites = [s for s in sorted(inv.sites) if site is None or s == site]
    devices = [d for d in inv.devices.values() if d.rack in inv.racks and inv.racks[d.rack].site in sites]
    body = [f"<h1>Government cloud build-out</h1><p class='sub'>{len(devices)} devices in "
            f"{len(sites)} site(s) &middot; report of {today.isoformat()}</p>",
            _legend(), _summary_table(inv, sites), _progress_chart(devices)]
    for site_name in sites:
        s = inv.sites[site_name]
        body.append(f"<section class='site' id='site-{escape(site_name)}'><h2>{escape(site_name)} "
                     f"<small>{escape(s.governorate)}{' &middot; sovereign' if s.sovereign else ''}</small></h2>")
        halls = sorted({r.hall for r in inv.racks_at(site_name)})
        for hall in halls:
            racks = sorted((r for r in inv.racks_at(site_name) if r.hall == hall), key=lambda r: r.name)
            body.append(f"<h3>Hall {escape(hall)}</h3>")
            body.append(_hall_table(inv, racks))
            body.append("<div class='racks'>")
            for rack in racks:
                svg = rack_elevation_svg(inv, rack.name, legend_title="Status",
                                         colour_of=lambda d: (STATUS_COLOURS[d.status], status_label(d.status)),
                                         legend={status_label(s): c for s, c in STATUS_COLOURS.items()})
                body.append(f"<figure class='rack'>{svg}</figure>")
            body.append("</div>")
        body.append("</section>")
    return _PAGE.format(title="Build-out report", body="\n".join(body))


def _legend() -> str:
    items = "".join(f"<span class='key'><i style='background:{STATUS_COLOURS[s]}'></i>{s.value}</span>"
                    for s in STATUSES)
    return f"<p class='legend'>{items}</p>"


def _summary_table(inv: RackInventory, sites: list[str]) -> str:
    head = "".join(f"<th>{s.value}</th>" for s in STATUSES)
    rows = []
    for site in sites:
        for hall in sorted({r.hall for r in inv.racks_at(site)}):
            racks = [r for r in inv.racks_at(site) if r.hall == hall]
            devices = [d for r in racks for d in inv.devices_in(r.name)]
            counts = status_counts(devices)
            used = sum(inv.usage(r.name).units_used for r in racks)
            total = sum(r.height_u for r in racks)
            power = sum(inv.usage(r.name).power_allocated_w for r in racks)
            budget = sum(r.power_budget_w for r in racks)
            cells = "".join(f"<td>{counts.get(s, 0)}</td>" for s in STATUSES)
            rows.append(f"<tr><td>{escape(site)}</td><td>{escape(hall)}</td>{cells}"
                        f"<td>{counts.get(None, 0)}</td><td>{_bar(used, total, 'U')}</td>"
                        f"<td>{_bar(power, budget, 'W')}</td></tr>")
    return ("<h2>Devices per status</h2><table class='summary'><thead><tr><th>site</th><th>hall</th>"
            f"{head}<th>untracked</th><th>rack units committed</th><th>power committed</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _hall_table(inv: RackInventory, racks) -> str:
    rows = []
    for rack in racks:
        devices = inv.devices_in(rack.name)
        usage = inv.usage(rack.name)
        counts = status_counts(devices)
        chips = " ".join(f"<span class='chip' style='background:{STATUS_COLOURS[s]}'>{status_label(s)} "
                         f"{n}</span>" for s, n in sorted(counts.items(), key=lambda kv: kv[0].rank if kv[0] else 99))
        rows.append(f"<tr><td>{escape(rack.name)}</td><td>{len(devices)}</td><td>{chips}</td>"
                    f"<td>{_bar(usage.units_used, usage.units_total, 'U')}</td>"
                    f"<td>{_bar(usage.power_allocated_w, usage.power_budget_w, 'W')}</td></tr>")
    return ("<table class='racks-table'><thead><tr><th>rack</th><th>devices</th><th>status</th>"
            f"<th>units</th><th>power</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _bar(used: int, total: int, unit: str) -> str:
    ratio = used / total if total else 0.0
    colour = "#e15759" if ratio > 1 else "#f28e2b" if ratio >= 0.8 else "#59a14f"
    width = min(ratio, 1.0) * 100
    return (f"<div class='bar' title='{used} of {total} {unit}'><div style='width:{width:.1f}%;"
            f"background:{colour}'></div></div><span class='num'>{used:,} / {total:,} {unit} "
            f"({ratio:.0%})</span>")


def _progress_chart(devices: list[Device]) -> str:
    """Cumulative devices reaching each status over time, as an inline SVG line chart."""
    series = progress_series(devices)
    dates = [when for points in series.values() for when, _ in points]
    if not dates:
        return "<h2>Progress over time</h2><p>No lifecycle dates recorded yet.</p>"
    start, end = min(dates), max(dates)
    span = max((end - start).days, 1)
    width, height, left, bottom, top = 900, 300, 50, 30, 10
    total = max(len(devices), 1)

    def x(when: dt.date) -> float:
        return left + (when - start).days / span * (width - left - 20)

    def y(count: int) -> float:
        return top + (1 - count / total) * (height - top - bottom)

    parts = [f"<svg class='progress' xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
             f"viewBox='0 0 {width} {height}' role='img' aria-label='Progress over time'>",
             f"<line x1='{left}' y1='{y(0)}' x2='{width - 20}' y2='{y(0)}' stroke='#333'/>",
             f"<line x1='{left}' y1='{top}' x2='{left}' y2='{y(0)}' stroke='#333'/>"]
    for frac in (0.25, 0.5, 0.75, 1.0):
        count = round(total * frac)
        parts.append(f"<text x='{left - 6}' y='{y(count) + 4}' text-anchor='end' font-size='11'>{count}</text>"
                     f"<line x1='{left}' y1='{y(count)}' x2='{width - 20}' y2='{y(count)}' stroke='#eee'/>")
    for month in _month_starts(start, end):
        parts.append(f"<text x='{x(month)}' y='{height - 10}' text-anchor='middle' font-size='11'>"
                     f"{month.strftime('%b %Y')}</text>")
    for status, points in series.items():
        if not points:
            continue
        path = [f"M {x(points[0][0]):.1f} {y(0):.1f}"]
        previous = 0
        for when, count in points:
            path.append(f"L {x(when):.1f} {y(previous):.1f} L {x(when):.1f} {y(count):.1f}")
            previous = count
        path.append(f"L {x(end):.1f} {y(previous):.1f}")
        parts.append(f"<path class='series' data-status='{status.value}' d='{' '.join(path)}' fill='none' "
                     f"stroke='{STATUS_COLOURS[status]}' stroke-width='2.5'><title>{status.value}: {previous} "
                     f"devices</title></path>")
    parts.append("</svg>")
    return f"<h2>Progress over time</h2><p class='sub'>devices that reached each status</p>{''.join(parts)}"


def _month_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    months, current = [], dt.date(start.year, start.month, 1)
    while current <= end:
        if current >= start:
            months.append(current)
        current = dt.date(current.year + (current.month == 12), current.month % 12 + 1, 1)
    return months


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: "DejaVu Sans", Arial, sans-serif; margin: 24px; color: #222; }}
h1 {{ margin-bottom: 0; }} .sub {{ color: #666; margin-top: 4px; }}
table {{ border-collapse: collapse; margin: 8px 0 16px; }}
th, td {{ border: 1px solid #ddd; padding: 4px 8px; text-align: right; font-size: 13px; }}
th:first-child, td:first-child, th:nth-child(2), td:nth-child(2) {{ text-align: left; }}
.bar {{ display: inline-block; width: 120px; height: 10px; background: #eee; vertical-align: middle; }}
.bar div {{ height: 10px; }} .num {{ margin-left: 6px; }}
.chip {{ color: #fff; border-radius: 3px; padding: 1px 5px; font-size: 12px; }}
.legend .key {{ margin-right: 14px; font-size: 13px; }}
.legend i {{ display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -1px; }}
.racks {{ display: flex; flex-wrap: wrap; gap: 16px; }} figure.rack {{ margin: 0; }}
figure.rack svg {{ width: 380px; height: auto; }}
</style></head>
<body>
{body}
</body></html>
"""
