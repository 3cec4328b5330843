"""``dcctl rack``: bring Ironic and the BMCs to match the rack inventory, and check the hosts."""

from __future__ import annotations

import click

from dcctl.cli.locking import holding_lock, lock_timeout_option
from dcctl.cli.settings import json_option, settings
from dcctl.core.errors import EXIT_INVALID, EXIT_OK, EXIT_SERVICE, InputError

CONCURRENCY = 8

profile_option = click.option(
    "--deploy-profile", type=click.Path(dir_okay=False), envvar="DCCTL_DEPLOY_PROFILE",
    help="YAML: node interfaces, driver_info, instance_info for this Ironic  [env: DCCTL_DEPLOY_PROFILE]")
all_option = click.option("--all", "all_racks", is_flag=True, help="Every rack of the inventory.")


def _concurrency_option(default: int):
    return click.option("--concurrency", "-k", type=click.IntRange(1, 256), default=default, show_default=True,
                        help="Nodes / hosts worked on at once.")


# -- shared steps --------------------------------------------------------------------------------

def _racks(inv, rack: str | None, all_racks: bool, *, default_all: bool = False) -> list[str]:
    """The racks a command works on: RACK, or every rack with --all."""
    if rack and all_racks:
        raise click.UsageError("give RACK or --all, not both")
    if not rack and not all_racks and not default_all:
        raise click.UsageError("give RACK or --all")
    if rack:
        if rack not in inv.racks:
            raise InputError(f"unknown rack '{rack}'", f"racks: {', '.join(sorted(inv.racks))}")
        return [rack]
    return sorted(inv.racks)


def _servers(inv, racks: list[str]):
    """The racks' servers that are cabled or later: earlier ones are not ready for Ironic."""
    from dcctl.inventory.model import LifecycleStatus

    wanted = set(racks)
    return sorted((d for d in inv.servers() if d.rack in wanted and d.reached(LifecycleStatus.CABLED)),
                  key=lambda d: (d.rack, d.name))


def _not_ready(inv, racks: list[str]) -> list[str]:
    from dcctl.inventory.model import LifecycleStatus

    return sorted(f"{d.name} ({d.status.value})" for d in inv.servers()
                  if d.rack in set(racks) and not d.reached(LifecycleStatus.CABLED))


def _connect():
    """The Ironic proxy of --os-cloud, with the connection's call counter at ``.dcctl_calls``."""
    from dcctl.racks.ironic import connect_baremetal

    conn = connect_baremetal(settings().os_cloud)
    return conn


def _snapshot(conn):
    from dcctl.racks.ironic import read_snapshot

    return read_snapshot(conn.baremetal)


def _progress():
    from dcctl.cli.render import console
    from dcctl.racks.progress import LineProgress, RichProgress

    err = console(stderr=True)
    return RichProgress(err) if err.is_terminal else LineProgress()


def _exit(code: int) -> None:
    if code != EXIT_OK:
        click.get_current_context().exit(code)


def _esc(text) -> str:
    from rich.markup import escape

    return escape(str(text))


def _table(title: str, columns: list[str]):
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for col in columns:
        table.add_column(col)
    return table


@click.group()
def rack() -> None:
    """Bare-metal servers of the racks: Ironic nodes, Redfish BMCs, SSH hosts."""


# -- list / show ---------------------------------------------------------------------------------

@rack.command("list")
@json_option
def list_racks() -> None:
    """Racks with their servers' Ironic nodes counted by provision state.

    \b
    - one list call for nodes; a server is matched to its node by name
    - "not enrolled": servers of the inventory with no node in Ironic
    """
    from collections import Counter

    from dcctl.cli.inventory import load_checked
    from dcctl.cli.render import console, emit_json

    inv = load_checked()
    snap = _snapshot(_connect())
    rows = []
    for name in sorted(inv.racks):
        r = inv.racks[name]
        servers = _servers(inv, [name])
        nodes = [snap.by_name[d.name] for d in servers if d.name in snap.by_name]
        rows.append({"rack": name, "site": r.site, "hall": r.hall, "servers": len(servers),
                     "enrolled": len(nodes), "not_enrolled": len(servers) - len(nodes),
                     "provision_states": dict(sorted(Counter(n.provision_state for n in nodes).items())),
                     "power_states": dict(sorted(Counter(n.power_state or "unknown" for n in nodes).items()))})
    known = {d.name for d in inv.servers()}
    others = sorted(n.name or n.id for n in snap.nodes if n.name not in known)
    if settings().json:
        emit_json({"racks": rows, "nodes_not_in_inventory": others})
        return
    table = _table("Racks", ["site", "hall", "rack", "servers", "enrolled", "provision states", "not enrolled"])
    for row in rows:
        states = ", ".join(f"{s} {n}" for s, n in row["provision_states"].items()) or "-"
        table.add_row(row["site"], row["hall"], row["rack"], str(row["servers"]), str(row["enrolled"]),
                      _esc(states), str(row["not_enrolled"]) if row["not_enrolled"] else "")
    out = console()
    out.print(table)
    if others:
        out.print(f"[cyan]{len(others)} node(s) in Ironic are not in the inventory:[/cyan] {_esc(', '.join(others))}")


@rack.command()
@click.argument("rack_name", metavar="RACK")
@click.option("--no-health", is_flag=True, help="Skip reading the BMCs.")
@click.option("--bmc-ca", type=click.Path(dir_okay=False), envvar="DCCTL_BMC_CA",
              help="CA bundle the BMCs' TLS certificates chain to  [env: DCCTL_BMC_CA; default: system CAs]")
@json_option
def show(rack_name: str, no_health: bool, bmc_ca: str | None) -> None:
    """Each device of a rack: its Ironic node, provision / power state, last error, BMC health.

    \b
    - one list call for nodes
    - BMC health: a concurrent Redfish read of every server's BMC (skip with --no-health)
    """
    from dcctl.cli.inventory import load_checked
    from dcctl.cli.render import console, emit_json

    inv = load_checked()
    _racks(inv, rack_name, False)
    snap = _snapshot(_connect())
    health = {} if no_health else {h.device: h for h in _sweep(inv, [rack_name], bmc_ca, CONCURRENCY * 2, 10)}
    devices = sorted(inv.devices_in(rack_name), key=lambda d: (-(d.position or 0), d.name))
    rows = []
    for d in devices:
        node = snap.by_name.get(d.name)
        h = health.get(d.name)
        rows.append({
            "device": d.name, "role": d.role.value, "position": d.position,
            "node": node.id if node else None,
            "provision_state": node.provision_state if node else None,
            "power_state": node.power_state if node else None,
            "maintenance": node.maintenance if node else None,
            "last_error": node.last_error if node else None,
            "bmc": None if h is None else {"level": h.level, "health": h.health, "power_state": h.power_state,
                                          "error": h.error, "marks": [m.as_dict() for m in h.marks]},
        })
    if settings().json:
        emit_json({"rack": rack_name, "devices": rows})
        return
    table = _table(f"Rack {rack_name}", ["U", "device", "role", "node", "provision", "power", "BMC", "last error"])
    for d, row in zip(devices, rows):
        units = f"{d.units[0]}-{d.units[-1]}" if len(d.units) > 1 else str(d.position or "0U")
        bmc = row["bmc"]
        if bmc is None:
            bmc_text = "" if not d.is_server or no_health else "-"
        elif bmc["error"]:
            bmc_text = f"[red]{_esc(bmc['error'])}[/red]"
        else:
            colour = {"ok": "green", "warning": "yellow", "critical": "red"}[bmc["level"]]
            bmc_text = f"[{colour}]{bmc['level']}[/{colour}]" + (
                f" ({_esc(bmc['marks'][0]['text'])})" if bmc["marks"] else "")
        node_text = (row["node"] or "")[:8] if d.is_server else ""
        if d.is_server and not row["node"]:
            node_text = "[yellow]not enrolled[/yellow]"
        state = row["provision_state"] or ""
        if row["maintenance"]:
            state += " [yellow](maintenance)[/yellow]"
        table.add_row(units, d.name, d.role.value, node_text, state, row["power_state"] or "", bmc_text,
                      f"[red]{_esc(row['last_error'])}[/red]" if row["last_error"] else "")
    console().print(table)


# -- enroll / drift ------------------------------------------------------------------------------

@rack.command()
@click.argument("rack_name", metavar="[RACK]", required=False)
@all_option
@click.option("--plan", "plan_only", is_flag=True, help="Show the plan; change nothing.")
@click.option("--prune", is_flag=True,
              help="Also delete orphan nodes: enrolled by dcctl, no longer in the inventory, not in use.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before deleting (--prune).")
@profile_option
@_concurrency_option(CONCURRENCY)
@lock_timeout_option
@json_option
def enroll(rack_name: str | None, all_racks: bool, plan_only: bool, prune: bool, yes: bool,
           deploy_profile: str | None, concurrency: int, lock_timeout: float) -> None:
    """Create or update the Ironic nodes and ports of a rack's servers, from the inventory.

    \b
    - one node per server: name, redfish driver with the BMC's address and system,
      credentials resolved from the inventory's reference (env:NAME / file:ENTRY)
      at apply time, never shown or stored; cpus / memory_mb / local_gb;
      resource class by role; interfaces and extra driver_info from the deploy profile
    - one port per NIC MAC (pxe_enabled as the inventory says)
    - plans from a snapshot of Ironic (one list call for nodes, one for ports):
      + create, ~ update; orphan nodes and foreign ports are noted, not deleted
    - --prune: also deletes (-) the orphans of the rack (of every rack with --all) that
      dcctl enrolled (extra.managed_by), whose name no device of the inventory has, and
      that are in enroll, manageable or available with nothing under way; each is read
      again just before its delete; asks first (--yes to skip; required off a terminal)
    - applies concurrently; a failing node (missing credentials, Ironic refusing)
      is reported and the others go on; a re-run continues from what exists
    - records every action in the audit log (`dcctl audit log --rack RACK`)
    - exits 1 on input errors, 3 when Ironic failed any write or an audit record could not be written
    """
    from dcctl.cli.inventory import load_checked
    from dcctl.cli.render import console, emit_json
    from dcctl.racks.apply import EnrollRecorder, apply_enroll
    from dcctl.racks.credentials import CredentialCache
    from dcctl.racks.deploy_profile import load_deploy_profile
    from dcctl.racks.desired import node_specs
    from dcctl.racks.plan import plan_enroll

    inv = load_checked()
    racks = _racks(inv, rack_name, all_racks)
    profile = load_deploy_profile(deploy_profile)
    devices = _servers(inv, racks)
    specs = node_specs(inv, devices, profile)
    conn = _connect()
    plan = plan_enroll(specs, _snapshot(conn), set(racks) if rack_name else None, prune=prune,
                       listed=set(inv.devices))
    for d in devices:
        if d.bmc is None:
            plan.notes.append(f"skipped: server {d.name} has no bmc in the inventory")
    for name in _not_ready(inv, racks):
        plan.notes.append(f"skipped: server {name} is not cabled yet (build-out status in the inventory)")
    out = console()
    if not settings().json:
        from dcctl.cli.render import stdout_is_tty

        click.echo(plan.render(colour=stdout_is_tty()))
    if plan_only or plan.is_empty:
        if settings().json:
            emit_json({"plan": plan.as_dict(), "applied": False})
        return
    deletions = plan.counts()["delete"]
    if deletions:
        from dcctl.cli.render import confirm

        confirm(yes, f"Delete {deletions} orphan node(s) from Ironic?",
                f"refusing to delete {deletions} orphan node(s) without confirmation; nothing was changed",
                "pass --yes to prune non-interactively")
    recorder = EnrollRecorder(identity=settings().os_cloud)

    def said(result) -> None:
        if settings().json:
            return
        a = result.action
        colour = "green" if result.outcome.value == "done" else "red"
        tail = f": {result.error}" if result.error else f" ({result.seconds:.1f}s)"
        console(stderr=True).print(f"{a.op.symbol} {a.kind} {_esc(a.label)} [{colour}]{result.outcome.value}"
                                   f"[/{colour}]{_esc(tail)}")

    with holding_lock("racks", lock_timeout):
        report = apply_enroll(plan, conn.baremetal, CredentialCache(), concurrency=concurrency,
                              recorder=recorder, on_progress=said)
    failed = [r for r in report.results if r.outcome.value != "done"]
    code = EXIT_OK
    if failed:
        input_only = all(r.error.startswith("BMC credentials") or r.error == "a dependency failed"
                         for r in failed)
        code = EXIT_INVALID if input_only else EXIT_SERVICE
    elif recorder.errors:  # Ironic changed, the audit log lacks it: as tenant apply, that fails
        code = EXIT_SERVICE
    if settings().json:
        emit_json({"plan": plan.as_dict(), "applied": True, "ok": report.ok, "summary": report.summary(),
                   "results": [{"key": r.action.key, "op": r.action.op.value, "kind": r.action.kind,
                                "label": r.action.label, "outcome": r.outcome.value, "error": r.error,
                                "seconds": round(r.seconds, 3)} for r in report.results],
                   "record_errors": recorder.errors})
    else:
        err = console(stderr=True)
        for r in failed:
            err.print(f"[red]error[/red]: {r.action.kind} {_esc(r.action.label)}: {_esc(r.error)}")
        for problem in recorder.errors:
            err.print(f"[red]error[/red]: the audit record of {_esc(problem)} could not be written")
        out.print(report.summary())
    _exit(code)


@rack.command()
@click.argument("rack_name", metavar="[RACK]", required=False)
@all_option
@profile_option
@click.option("--exit-code", is_flag=True, help="Exit 1 when there is drift.")
@json_option
def drift(rack_name: str | None, all_racks: bool, deploy_profile: str | None, exit_code: bool) -> None:
    """Differences between the inventory and Ironic (every rack unless RACK is given).

    \b
    - servers with no node, nodes not in the inventory
    - node fields that differ: driver, BMC address / system id, properties,
      resource class, profile interfaces
    - MACs: ports missing, on another node, with the wrong pxe flag, or extra
    - read-only: one list call for nodes, one for ports
    """
    from dcctl.cli.inventory import load_checked
    from dcctl.cli.render import console, emit_json
    from dcctl.racks.deploy_profile import load_deploy_profile
    from dcctl.racks.desired import node_specs
    from dcctl.racks.plan import find_drift

    inv = load_checked()
    racks = _racks(inv, rack_name, all_racks, default_all=True)
    from dcctl.racks.lifecycle import lifecycle_conflicts, ready_to_promote

    specs = node_specs(inv, _servers(inv, racks), load_deploy_profile(deploy_profile))
    snap = _snapshot(_connect())
    items = lifecycle_conflicts(inv, snap, find_drift(specs, snap, set(racks) if rack_name else None))
    ready = [n for n in ready_to_promote(inv, snap) if inv.devices[n].rack in racks]
    if settings().json:
        emit_json({"racks": racks, "drift": [i.as_dict() for i in items], "count": len(items),
                   "ready_to_promote": ready})
    else:
        out = console()
        if not items:
            out.print("[green]no drift[/green]: Ironic matches the inventory")
        else:
            table = _table("Drift: inventory vs Ironic", ["rack", "node", "kind", "detail"])
            for i in items:
                table.add_row(i.rack, i.node, i.kind, _esc(i.detail))
            out.print(table)
            out.print(f"{len(items)} difference(s); `dcctl rack enroll` fixes missing nodes, ports and fields")
        if ready:
            out.print(f"ready to move to provisioned: {', '.join(ready)} "
                      f"(dcctl inventory promote {' '.join(ready)} --to provisioned)")
    if exit_code and items:
        _exit(EXIT_INVALID)


# -- provision / power ---------------------------------------------------------------------------

def _nodes_of(inv, racks: list[str], snap) -> tuple[dict[str, str], list[str]]:
    """name -> node id of the enrolled servers, and the servers not enrolled."""
    nodes, missing = {}, []
    for d in _servers(inv, racks):
        node = snap.by_name.get(d.name)
        if node is None:
            missing.append(d.name)
        else:
            nodes[d.name] = node.id
    return nodes, missing


def _report_nodes(results, title: str, missing: list[str], rack_name: str) -> int:
    """Print per-node results (table or JSON); the exit code they call for."""
    from dcctl.cli.render import console, emit_json

    failed = [r for r in results if not r.ok]
    if settings().json:
        emit_json({"rack": rack_name, "ok": not failed and not missing,
                   "nodes": [r.as_dict() for r in results],
                   "not_enrolled": missing})
    else:
        out = console()
        table = _table(title, ["node", "result", "provision", "power", "seconds", "detail"])
        for r in results:
            word = "[green]ok[/green]" if r.ok else "[red]FAILED[/red]"
            table.add_row(r.name, word, r.state or "", r.power_state or "", f"{r.seconds:.1f}",
                          _esc(r.error or r.note))
        out.print(table)
        err = console(stderr=True)
        for r in failed:
            err.print(f"[red]error[/red]: {r.name}: {_esc(r.error)}")
        for name in missing:
            err.print(f"[red]error[/red]: {name}: not enrolled in Ironic (run `dcctl rack enroll {rack_name}`)")
        out.print(f"{len(results) - len(failed)} of {len(results) + len(missing)} node(s) ok")
    if failed:
        return EXIT_SERVICE
    return EXIT_INVALID if missing else EXIT_OK


@rack.command()
@click.argument("rack_name", metavar="RACK")
@click.option("--to", "target", type=click.Choice(["available", "active"]), default="available", show_default=True,
              help="available: manage + provide; active: also deploy.")
@_concurrency_option(CONCURRENCY)
@click.option("--timeout", type=click.FloatRange(1), default=1200, show_default=True,
              help="Seconds before a node still on its way is reported as failed.")
@profile_option
@lock_timeout_option
@json_option
def provision(rack_name: str, target: str, concurrency: int, timeout: float, deploy_profile: str | None,
              lock_timeout: float) -> None:
    """Drive a rack's nodes through manage -> provide -> (deploy), concurrently.

    \b
    - each node goes from the state it is in: enroll -> manageable -> available
      (-> active with --to active, instance_info from the deploy profile);
      clean / inspect failures are retried once through manage
    - at most --concurrency nodes in transition at once; progress per node
    - one list call every half second watches every node
    - a node that does not move, or passes --timeout, is reported with Ironic's
      last_error; the others go on; a re-run continues where nodes are
    - exits 3 when any node failed, 1 when servers are not enrolled
    """
    from dcctl.cli.inventory import load_checked
    from dcctl.racks.deploy_profile import load_deploy_profile
    from dcctl.inventory.model import LifecycleStatus
    from dcctl.racks.provision import provision as run_provision

    inv = load_checked()
    racks = _racks(inv, rack_name, False)
    profile = load_deploy_profile(deploy_profile)
    conn = _connect()
    nodes, missing = _nodes_of(inv, racks, _snapshot(conn))
    with holding_lock("racks", lock_timeout):
        results = run_provision(conn.baremetal, nodes, target, concurrency=concurrency, timeout=timeout,
                                instance_info=profile.instance_info, progress=_progress())
    ready = sorted(r.name for r in results if r.ok and r.state == "active" and r.name in inv.devices
                   and not inv.devices[r.name].reached(LifecycleStatus.PROVISIONED))
    if ready and not settings().json:  # the inventory is the record of the build-out
        click.echo(f"ready to move to provisioned: {', '.join(ready)} "
                   f"(dcctl inventory promote {' '.join(ready)} --to provisioned)", err=True)
    _exit(_report_nodes(results, f"Provision {rack_name} to {target}", missing, rack_name))


@rack.command()
@click.argument("rack_name", metavar="RACK")
@click.argument("action", type=click.Choice(["on", "off", "reboot"]))
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--timeout", type=click.FloatRange(1), default=300, show_default=True)
@_concurrency_option(16)
@lock_timeout_option
@json_option
def power(rack_name: str, action: str, yes: bool, timeout: float, concurrency: int, lock_timeout: float) -> None:
    """Power every enrolled server of a rack on, off, or reboot it, through Ironic.

    \b
    - lists the nodes and asks for confirmation (--yes to skip; required when
      not on a terminal)
    - requests go out concurrently; one list call every half second watches them
    - a node Ironic refuses or that ends in the wrong power state is reported
      with its last_error; exits 3 when any node failed
    """
    import sys

    from dcctl.cli.inventory import load_checked
    from dcctl.racks.power import set_power

    inv = load_checked()
    racks = _racks(inv, rack_name, False)
    conn = _connect()
    nodes, missing = _nodes_of(inv, racks, _snapshot(conn))
    if not nodes:
        raise InputError(f"no server of rack {rack_name} is enrolled in Ironic",
                         f"run `dcctl rack enroll {rack_name}` first")
    if not yes and sys.stdin.isatty():
        click.echo(f"Power {action}: {', '.join(sorted(nodes))}", err=True)
    from dcctl.cli.render import confirm

    confirm(yes, f"Power {action} {len(nodes)} node(s) of rack {rack_name}?",
            f"refusing to power {action} {len(nodes)} node(s) without confirmation", "pass --yes")
    with holding_lock("racks", lock_timeout):
        results = set_power(conn.baremetal, nodes, action, concurrency=concurrency, timeout=timeout,
                            progress=_progress())
    _exit(_report_nodes(results, f"Power {action} {rack_name}", missing, rack_name))


# -- health / check ------------------------------------------------------------------------------

def _sweep(inv, racks: list[str], ca: str | None, concurrency: int, timeout: float):
    from dcctl.racks.health import BmcTarget, sweep

    targets = [BmcTarget(d.name, d.rack, d.bmc.address, d.bmc.system_id, d.bmc.credentials, d.power_w or None)
               for d in _servers(inv, racks) if d.bmc is not None]
    return sweep(targets, ca=ca, concurrency=concurrency, timeout=timeout)


@rack.command()
@click.argument("rack_name", metavar="[RACK]", required=False)
@all_option
@click.option("--bmc-ca", type=click.Path(dir_okay=False), envvar="DCCTL_BMC_CA",
              help="CA bundle the BMCs' TLS certificates chain to  [env: DCCTL_BMC_CA; default: system CAs]")
@_concurrency_option(16)
@click.option("--timeout", type=click.FloatRange(0.5), default=10, show_default=True,
              help="Seconds to wait for each BMC request.")
@json_option
def health(rack_name: str | None, all_racks: bool, bmc_ca: str | None, concurrency: int, timeout: float) -> None:
    """Read-only Redfish sweep of every BMC: power, health, temperatures, fans, PSUs, watts.

    \b
    - reads the BMCs concurrently with sushy, TLS verified (--bmc-ca)
    - marks readings at or beyond the BMC's thresholds (dcctl defaults where the BMC
      gives none), failed PSUs, and draw above the inventory's planned watts
    - a BMC that does not answer, refuses the credentials or has no such system is
      reported on its row; the others are still read
    - exits 3 when a BMC could not be read or reports a critical reading
    """
    from dcctl.cli.inventory import load_checked
    from dcctl.cli.render import console, emit_json

    inv = load_checked()
    racks = _racks(inv, rack_name, all_racks)
    results = _sweep(inv, racks, bmc_ca, concurrency, timeout)
    bad = [h for h in results if h.level in ("unreachable", "critical")]
    if settings().json:
        emit_json({"racks": racks, "ok": not bad, "bmcs": [h.as_dict() for h in results]})
    else:
        table = _table("BMC health", ["rack", "device", "power", "health", "max temp", "fans", "PSUs", "watts", "marks"])
        for h in results:
            if h.error:
                table.add_row(h.rack, h.device, "", "[red]unreachable[/red]" if "unreachable" in h.error
                              else "[red]error[/red]", "", "", "", "", f"[red]{_esc(h.error)}[/red]")
                continue
            colour = {"ok": "green", "warning": "yellow", "critical": "red"}[h.level]
            hottest = max((t for t in h.temperatures if t.celsius is not None), key=lambda t: t.celsius,
                          default=None)
            psus_ok = sum(1 for p in h.psus if (p.health or "OK") == "OK")
            fans_ok = sum(1 for f in h.fans if (f.health or "OK") == "OK")
            table.add_row(h.rack, h.device, h.power_state or "", f"[{colour}]{h.health or h.level}[/{colour}]",
                          f"{hottest.celsius:g}°C" if hottest else "", f"{fans_ok}/{len(h.fans)}",
                          f"{psus_ok}/{len(h.psus)}",
                          f"{h.consumed_watts:g}" if h.consumed_watts is not None else "",
                          _esc("; ".join(m.text for m in h.marks)))
        out = console()
        out.print(table)
        unread = [h for h in results if h.error]
        critical = [h for h in results if h.level == "critical"]
        warned = [h for h in results if h.level == "warning"]
        out.print(f"{len(results)} BMC(s): {len(results) - len(unread)} read, {len(unread)} unreachable or in "
                  f"error, {len(critical)} critical, {len(warned)} warning")
    _exit(EXIT_SERVICE if bad else EXIT_OK)


@rack.command()
@click.argument("rack_name", metavar="[RACK]", required=False)
@all_option
@click.option("--known-hosts", type=click.Path(dir_okay=False), envvar="DCCTL_KNOWN_HOSTS",
              help="The only host keys trusted  [env: DCCTL_KNOWN_HOSTS; default: ~/.ssh/known_hosts]")
@click.option("--ssh-key", type=click.Path(dir_okay=False), envvar="DCCTL_SSH_KEY",
              help="Private key to log in with  [env: DCCTL_SSH_KEY; default: agent and ~/.ssh keys]")
@_concurrency_option(16)
@click.option("--timeout", type=click.FloatRange(0.5), default=10, show_default=True)
@json_option
def check(rack_name: str | None, all_racks: bool, known_hosts: str | None, ssh_key: str | None,
          concurrency: int, timeout: float) -> None:
    """SSH preflight of every server: reachable, host key, uname, uptime, load, root disk.

    \b
    - strict host keys: only --known-hosts is trusted; unknown or changed keys are refused
    - one command per host (uname, /proc/uptime, /proc/loadavg, df /), hosts concurrently
    - root disk at 85% warns, at 95% fails
    - exits 3 naming each failing host and why
    """
    from pathlib import Path

    from dcctl.cli.inventory import load_checked
    from dcctl.cli.render import console, emit_json
    from dcctl.racks.ssh_check import SshTarget, check_hosts, default_known_hosts

    inv = load_checked()
    racks = _racks(inv, rack_name, all_racks)
    known = Path(known_hosts).expanduser() if known_hosts else default_known_hosts()
    if not known.is_file():
        raise InputError(f"known_hosts file {known} does not exist",
                         "pass --known-hosts FILE or set DCCTL_KNOWN_HOSTS (lab: eval \"$(dcctl lab env)\")")
    if ssh_key and not Path(ssh_key).expanduser().is_file():
        raise InputError(f"SSH key {ssh_key} does not exist", "pass --ssh-key FILE or set DCCTL_SSH_KEY")
    servers = _servers(inv, racks)
    targets = [SshTarget(d.name, d.rack, d.ssh.host, d.ssh.port, d.ssh.user) for d in servers if d.ssh]
    skipped = [d.name for d in servers if not d.ssh]
    results = check_hosts(targets, known, key_file=str(Path(ssh_key).expanduser()) if ssh_key else None,
                          concurrency=concurrency, timeout=timeout)
    failed = [r for r in results if not r.ok]
    if settings().json:
        emit_json({"racks": racks, "ok": not failed, "known_hosts": str(known),
                   "hosts": [r.as_dict() for r in results], "without_ssh": skipped})
    else:
        table = _table("SSH check", ["rack", "host", "endpoint", "result", "kernel", "uptime", "load", "root"])
        for r in results:
            if not r.ok:
                table.add_row(r.rack, r.device, r.endpoint, "[red]FAILED[/red]", "", "", "",
                              f"{r.root_use_percent}%" if r.root_use_percent is not None else "")
                continue
            disk = f"{r.root_use_percent}%"
            table.add_row(r.rack, r.device, r.endpoint,
                          "[green]ok[/green]" + (" [yellow](warn)[/yellow]" if r.warnings else ""),
                          _esc(r.uname), _uptime(r.uptime_seconds), " ".join(f"{x:.2f}" for x in r.load or ()),
                          f"[yellow]{disk}[/yellow]" if r.warnings else disk)
        out = console()
        out.print(table)
        err = console(stderr=True)
        for r in failed:
            err.print(f"[red]error[/red]: {r.device} ({r.endpoint}): {_esc(r.reason)}")
        for name in skipped:
            err.print(f"[yellow]warning[/yellow]: {name} has no ssh endpoint in the inventory")
        out.print(f"{len(results) - len(failed)} of {len(results)} host(s) ok")
    _exit(EXIT_SERVICE if failed else EXIT_OK)


def _uptime(seconds: float | None) -> str:
    if seconds is None:
        return ""
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    return f"{days}d {hours}h" if days else f"{hours}h {rest // 60}m"
