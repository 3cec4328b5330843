"""Front-view rack elevation as SVG: numbered units, devices coloured by role, free space visible.

Pure: builds the SVG text from the inventory; the CLI writes it to a file.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from dcctl.inventory.model import DeviceRole
from dcctl.inventory.rack_inventory import RackInventory

ROLE_COLOURS: dict[DeviceRole, str] = {
    DeviceRole.CONTROLLER: "#4e79a7",
    DeviceRole.COMPUTE: "#59a14f",
    DeviceRole.STORAGE: "#f28e2b",
    DeviceRole.SWITCH: "#b07aa1",
    DeviceRole.FIREWALL: "#e15759",
    DeviceRole.PDU: "#9c755f",
    DeviceRole.PATCH_PANEL: "#bab0ac",
}
UNIT_PX = 18
RACK_WIDTH = 320
LEFT = 48
TOP = 70


def rack_elevation_svg(inv: RackInventory, rack_name: str, colour_of=None,
                       legend: dict[str, str] | None = None, legend_title: str = "Roles") -> str:
    """SVG of one rack. ``colour_of(device) -> (colour, label)`` and ``legend`` (label -> colour)
    replace the role colours, e.g. to colour devices by build-out status."""
    legend = legend or {role.value: colour for role, colour in ROLE_COLOURS.items()}
    rack = inv.racks[rack_name]
    devices = sorted(inv.devices_in(rack_name), key=lambda d: (d.position or 0, d.name))
    mounted = [d for d in devices if d.units]
    zero_u = [d for d in devices if not d.units]
    usage = inv.usage(rack_name)
    legend_bottom = TOP + 50 + (len(legend) + len(zero_u)) * 18
    height = max(TOP + rack.height_u * UNIT_PX + 20, legend_bottom)
    width = LEFT + RACK_WIDTH + 260
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="11">',
        f"<title>Rack {escape(rack.name)} elevation</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{LEFT}" y="22" font-size="16" font-weight="bold">Rack {escape(rack.name)}</text>',
        f'<text x="{LEFT}" y="40">{escape(rack.site)} / {escape(rack.hall)}'
        + (f" / row {escape(rack.row)}" if rack.row else "") + "</text>",
        f'<text x="{LEFT}" y="56">{usage.units_used}U used, {usage.units_free}U free of {usage.units_total}U; '
        f"{usage.power_allocated_w} W of {usage.power_budget_w} W ({usage.power_ratio:.0%})</text>",
        f'<rect x="{LEFT}" y="{TOP}" width="{RACK_WIDTH}" height="{rack.height_u * UNIT_PX}" '
        f'fill="#f4f4f4" stroke="#333" stroke-width="2"/>',
    ]
    occupied = {u for d in mounted for u in d.units}
    for u in range(1, rack.height_u + 1):
        y = _unit_top(rack.height_u, u)
        out.append(f'<text x="{LEFT - 6}" y="{y + UNIT_PX - 5}" text-anchor="end" fill="#666">{u}</text>')
        if u in occupied:
            continue
        out.append(f'<rect class="free-unit" data-unit="{u}" x="{LEFT + 2}" y="{y + 1}" '
                   f'width="{RACK_WIDTH - 4}" height="{UNIT_PX - 2}" fill="none" stroke="#ddd" '
                   'stroke-dasharray="3,3"/>')
    for d in mounted:
        top_unit = d.units[-1]
        y = _unit_top(rack.height_u, top_unit)
        h = len(d.units) * UNIT_PX
        colour, label = (colour_of(d) if colour_of else (ROLE_COLOURS[d.role], d.role.value))
        text = f"{d.name}  {d.model}"
        out.append(f'<g class="device" data-name="{escape(d.name)}" data-role="{d.role.value}" '
                   f'data-units="{d.units[0]}-{top_unit}">')
        out.append(f"<title>{escape(d.name)}: {escape(d.model)}, U{d.units[0]}"
                   f"{'-U' + str(top_unit) if len(d.units) > 1 else ''}, {d.power_w} W, {escape(label)}</title>")
        out.append(f'<rect x="{LEFT + 2}" y="{y + 1}" width="{RACK_WIDTH - 4}" height="{h - 2}" '
                   f'rx="2" fill="{colour}" stroke="#222"/>')
        out.append(f'<text x="{LEFT + 8}" y="{y + h / 2 + 4}" fill="#fff">{escape(text[:48])}</text>')
        out.append("</g>")
    x = LEFT + RACK_WIDTH + 24
    out.append(f'<text x="{x}" y="{TOP + 4}" font-weight="bold">{escape(legend_title)}</text>')
    for i, (label, colour) in enumerate(legend.items()):
        y = TOP + 14 + i * 18
        out.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{colour}"/>'
                   f'<text x="{x + 18}" y="{y + 10}">{escape(label)}</text>')
    if zero_u:
        y0 = TOP + 30 + len(legend) * 18
        out.append(f'<text x="{x}" y="{y0}" font-weight="bold">Zero-U</text>')
        for i, d in enumerate(zero_u):
            out.append(f'<g class="device" data-name="{escape(d.name)}" data-role="{d.role.value}" '
                       f'data-units="0U"><text x="{x}" y="{y0 + 18 + i * 18}">{escape(d.name)} '
                       f"({escape(d.model)})</text></g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _unit_top(rack_height: int, unit: int) -> int:
    """Y of the top edge of ``unit``; U1 is at the bottom, as racks are numbered."""
    return TOP + (rack_height - unit) * UNIT_PX
