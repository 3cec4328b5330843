"""``dcctl inventory``: validate, show, export and draw the rack inventory."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dcctl.cli.settings import json_option, settings
from dcctl.core.errors import EXIT_INVALID, InputError


def load_checked():
    """Load and validate the inventory; stop with exit 1 (problems printed) if it has errors."""
    from dcctl.cli.render import stop_on_errors
    from dcctl.inventory import load_inventory

    inv, problems = load_inventory(settings().inventory_dir)
    stop_on_errors(problems)
    return inv


@click.group()
def inventory() -> None:
    """The rack inventory: sites, halls, racks, devices and networks in YAML."""


@inventory.command()
@json_option
def validate() -> None:
    """Check the inventory and report every problem at once.

    \b
    - loads every *.yaml below --inventory, keeping file:line:col of each value
    - checks schema (types, required and unknown keys), names, references,
      rack space, power budgets, unique serials / MACs / BMCs / IPs, VLANs, addressing
    - exits 1 when there is any error; warnings alone exit 0
    """
    from dcctl.cli.render import console, emit_json, print_problems, problems_json
    from dcctl.core.problems import errors_in
    from dcctl.inventory import load_inventory

    inv, problems = load_inventory(settings().inventory_dir)
    if settings().json:
        emit_json(problems_json(problems) | {"counts": _counts(inv)})
    else:
        print_problems(problems)
        if not errors_in(problems):
            c = _counts(inv)
            console().print(f"[green]inventory OK[/green]: {c['sites']} sites, {c['racks']} racks, "
                            f"{c['devices']} devices, {c['networks']} networks")
    if errors_in(problems):
        click.get_current_context().exit(EXIT_INVALID)


def _counts(inv) -> dict[str, int]:
    return {"sites": len(inv.sites), "halls": len(inv.halls), "racks": len(inv.racks),
            "devices": len(inv.devices), "networks": len(inv.networks)}


@inventory.command()
@click.option("--site", help="Only racks at this site.")
@click.option("--rack", help="Only this rack, with its devices.")
@json_option
def show(site: str | None, rack: str | None) -> None:
    """Racks with rack units used / free and power allocated / budget.

    \b
    - one row per rack: site, hall, devices, U used / free, power allocated / budget
    - with --rack, also each device: position, height, role, model, power, addresses
    """
    from dcctl.cli.render import console, emit_json
    from dcctl.inventory.export import rack_usage_json

    inv = load_checked()
    if site and site not in inv.sites:
        raise InputError(f"unknown site '{site}'", f"sites: {', '.join(sorted(inv.sites))}")
    if rack and rack not in inv.racks:
        raise InputError(f"unknown rack '{rack}'", f"racks: {', '.join(sorted(inv.racks))}")
    racks = [r for r in inv.racks.values() if (not site or r.site == site) and (not rack or r.name == rack)]
    racks.sort(key=lambda r: (r.site, r.hall, r.name))
    if settings().json:
        data = {"racks": [{"name": r.name, "site": r.site, "hall": r.hall,
                           "devices": len(inv.devices_in(r.name)), **rack_usage_json(inv, r.name)} for r in racks]}
        if rack:
            data["devices"] = [d.model_dump(mode="json") for d in _sorted_devices(inv, rack)]
        emit_json(data)
        return
    from rich.table import Table

    table = Table(title="Racks", title_justify="left")
    for col in ("site", "hall", "rack", "devices", "U used", "U free", "power W", "budget W", "power %"):
        table.add_column(col, justify="right" if col not in ("site", "hall", "rack") else "left")
    for r in racks:
        u = inv.usage(r.name)
        pct = f"{u.power_ratio:.0%}"
        style = "red" if u.power_ratio > 1 else "yellow" if u.power_ratio >= 0.8 else ""
        table.add_row(r.site, r.hall, r.name, str(len(inv.devices_in(r.name))), str(u.units_used),
                      str(u.units_free), str(u.power_allocated_w), str(u.power_budget_w),
                      f"[{style}]{pct}[/{style}]" if style else pct)
    out = console()
    out.print(table)
    if rack:
        devices = Table(title=f"Devices in {rack}", title_justify="left")
        for col in ("U", "name", "role", "model", "serial", "W", "management IP", "BMC"):
            devices.add_column(col)
        for d in _sorted_devices(inv, rack):
            units = f"{d.units[0]}-{d.units[-1]}" if len(d.units) > 1 else str(d.position or "0U")
            devices.add_row(units, d.name, d.role.value, d.model, d.serial, str(d.power_w),
                            str(d.management_ip or ""), d.bmc.address if d.bmc else "")
        out.print(devices)


def _sorted_devices(inv, rack: str):
    return sorted(inv.devices_in(rack), key=lambda d: (-(d.position or 0), d.name))


@inventory.command()
@click.option("--format", "fmt", type=click.Choice(["ansible", "json"]), default="ansible", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to a file instead of stdout.")
def export(fmt: str, output: Path | None) -> None:
    """Export the inventory for other tools.

    \b
    - ansible: a static YAML Ansible inventory, groups per site, hall, rack and role,
      host vars ansible_host / ansible_port / bmc_address / ntp_servers ...
    - json: every site, hall, network, rack (with usage) and device
    """
    import json

    import yaml

    from dcctl.inventory.export import ansible_yaml_inventory, inventory_json

    inv = load_checked()
    if fmt == "ansible":
        text = yaml.safe_dump(ansible_yaml_inventory(inv), sort_keys=False, default_flow_style=False)
    else:
        text = json.dumps(inventory_json(inv), indent=2, ensure_ascii=False) + "\n"
    if output:
        output.write_text(text)
        click.echo(f"wrote {output}", err=True)
    else:
        sys.stdout.write(text)


@inventory.command("ansible")
@click.option("--list", "list_all", is_flag=True, help="All groups and host vars (Ansible dynamic inventory).")
@click.option("--host", "host", help="Variables of one host.")
def ansible_dynamic(list_all: bool, host: str | None) -> None:
    """Ansible dynamic inventory: ``ansible-inventory -i 'dcctl-inventory-script' --list``.

    \b
    - --list prints groups (site_*, hall_*, rack_*, role_*) and _meta.hostvars
    - --host H prints the variables of H
    """
    from dcctl.cli.render import emit_json
    from dcctl.inventory.export import ansible_inventory, host_vars

    if not list_all and not host:
        raise click.UsageError("give --list or --host HOST")
    inv = load_checked()
    if list_all:
        emit_json(ansible_inventory(inv))
        return
    device = inv.devices.get(host)
    if device is None or device.ssh is None:
        raise InputError(f"unknown Ansible host '{host}'", "run with --list to see the hosts")
    emit_json(host_vars(inv, device))


@inventory.command()
@click.argument("rack")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="SVG file  [default: RACK.svg]")
def elevation(rack: str, output: Path | None) -> None:
    """Draw a rack's front elevation as SVG.

    \b
    - units numbered from U1 at the bottom, each device a labelled box coloured by role
    - free units drawn dashed, zero-U equipment listed beside the rack
    """
    from dcctl.inventory.elevation import rack_elevation_svg

    inv = load_checked()
    if rack not in inv.racks:
        raise InputError(f"unknown rack '{rack}'", f"racks: {', '.join(sorted(inv.racks))}")
    output = output or Path(f"{rack}.svg")
    output.write_text(rack_elevation_svg(inv, rack))
    click.echo(f"wrote {output}", err=True)


@inventory.command()
@click.argument("devices", nargs=-1)
@click.option("--rack", help="Every device in this rack (with the devices named, if any).")
@click.option("--to", "status", required=True,
              type=click.Choice(["planned", "delivered", "installed", "cabled", "provisioned", "in-service",
                                 "decommissioning"]), help="The build-out status reached.")
@click.option("--date", "when", type=click.DateTime(["%Y-%m-%d"]), help="When it was reached  [default: today]")
def promote(devices: tuple[str, ...], rack: str | None, status: str, when) -> None:
    """Record that devices reached a build-out status, in their YAML files.

    \b
    - adds `STATUS: DATE` to each device's `lifecycle`, keeping the file's comments and layout
    - statuses only move forward; the inventory is validated again afterwards
    """
    import datetime as dt

    from dcctl.inventory import load_inventory
    from dcctl.inventory.model import LifecycleStatus
    from dcctl.inventory.promote import promote as write

    inv = load_checked()
    names = list(devices)
    if rack:
        if rack not in inv.racks:
            raise InputError(f"unknown rack '{rack}'", f"racks: {', '.join(sorted(inv.racks))}")
        names += [d.name for d in inv.devices_in(rack) if d.name not in names]
    unknown = [n for n in names if n not in inv.devices]
    if unknown or not names:
        raise InputError(f"unknown device(s): {', '.join(unknown)}" if unknown else "no devices given",
                         "name devices or give --rack RACK")
    target = LifecycleStatus(status)
    names = [n for n in names if n in devices or not inv.devices[n].reached(target)]
    files = write(inv, names, target, (when.date() if when else dt.date.today()))
    click.echo(f"{len(names)} device(s) now {status}; updated {', '.join(str(f) for f in files)}", err=True)
    from dcctl.cli.render import stop_on_errors

    _, problems = load_inventory(settings().inventory_dir)
    stop_on_errors([p for p in problems if p.severity.value == "error"])  # what the edit broke, if anything
