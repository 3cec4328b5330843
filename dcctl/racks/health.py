"""Read-only Redfish health sweep of a rack's BMCs (``sushy``), and the thresholds that mark readings.

:func:`read_bmc` does the I/O for one BMC: power state, health rollup, temperatures, fans,
PSUs and consumed watts, as plain values. :func:`assess` decides, purely, which readings
are beyond a threshold: the BMC's own thresholds when it gives them, dcctl's defaults
otherwise, and the BMC's own health verdicts. :func:`sweep` reads many BMCs at once;
one that does not answer is a result with an error, never an exception.

TLS to the BMCs is verified: against the CA bundle given (``--bmc-ca`` /
``$DCCTL_BMC_CA``), else the system's CAs.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from dcctl.racks.credentials import CredentialCache, CredentialError, redacted_logging

CA_ENV = "DCCTL_BMC_CA"
LEVELS = ("ok", "warning", "critical")
# Used when a BMC gives no threshold: (warning, critical) in °C by physical context
DEFAULT_TEMPERATURE_LIMITS = {"Intake": (35, 40), "Exhaust": (70, 75), "CPU": (85, 95)}
DEFAULT_OTHER_TEMPERATURE = (80, 90)
DEFAULT_FAN_MIN_RPM = (1000, 500)  # below warning / below critical


@dataclass(frozen=True)
class Temperature:
    name: str
    context: str
    celsius: float | None
    upper_warning: float | None = None
    upper_critical: float | None = None
    lower_warning: float | None = None
    lower_critical: float | None = None
    health: str | None = None  # the BMC's own verdict: OK, Warning, Critical


@dataclass(frozen=True)
class Fan:
    name: str
    rpm: float | None
    lower_warning: float | None = None
    lower_critical: float | None = None
    health: str | None = None


@dataclass(frozen=True)
class Psu:
    name: str
    state: str | None
    health: str | None
    output_watts: float | None = None


@dataclass
class BmcHealth:
    """What one BMC said, or why it said nothing (``error``)."""

    device: str
    rack: str
    address: str
    error: str = ""
    power_state: str | None = None
    health: str | None = None  # the system's health rollup
    temperatures: list[Temperature] = field(default_factory=list)
    fans: list[Fan] = field(default_factory=list)
    psus: list[Psu] = field(default_factory=list)
    consumed_watts: float | None = None
    planned_watts: int | None = None
    seconds: float = 0.0
    marks: list["Mark"] = field(default_factory=list)

    @property
    def reachable(self) -> bool:
        return not self.error

    @property
    def level(self) -> str:
        """ok / warning / critical for the readings; "unreachable" when the BMC was not read."""
        if self.error:
            return "unreachable"
        return worst([m.level for m in self.marks] + [_level_of(self.health)])

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["marks"] = [m.as_dict() for m in self.marks]
        data["level"] = self.level
        data["seconds"] = round(self.seconds, 3)
        return data


@dataclass(frozen=True)
class Mark:
    """A reading at or beyond a threshold."""

    level: str  # warning / critical
    sensor: str
    text: str

    def as_dict(self) -> dict[str, str]:
        return {"level": self.level, "sensor": self.sensor, "text": self.text}


def worst(levels: list[str]) -> str:
    return max(levels, key=LEVELS.index, default="ok")


def _level_of(health: str | None) -> str:
    return {"Warning": "warning", "Critical": "critical"}.get(health or "", "ok")


# -- thresholds: pure --------------------------------------------------------------------------

def assess(h: BmcHealth) -> list[Mark]:
    """The readings of ``h`` at or beyond a threshold, worst first."""
    marks: list[Mark] = []
    for t in h.temperatures:
        level, text = temperature_level(t)
        if level != "ok":
            marks.append(Mark(level, t.name, text))
    for f in h.fans:
        level, text = fan_level(f)
        if level != "ok":
            marks.append(Mark(level, f.name, text))
    for p in h.psus:
        level = _level_of(p.health)
        if p.state and p.state not in ("Enabled", "StandbyOffline", "StandbySpare"):
            level = worst([level, "critical" if p.state in ("Absent", "UnavailableOffline") else "warning"])
        if level != "ok":
            marks.append(Mark(level, p.name, f"{p.name}: health {p.health or '?'}, state {p.state or '?'}"))
    if h.consumed_watts is not None and h.planned_watts and h.consumed_watts > h.planned_watts:
        marks.append(Mark("warning", "power", f"drawing {h.consumed_watts:.0f} W, above the "
                                              f"{h.planned_watts} W planned in the inventory"))
    return sorted(marks, key=lambda m: -LEVELS.index(m.level))


def temperature_level(t: Temperature) -> tuple[str, str]:
    """(level, explanation) of one temperature against its thresholds."""
    warn_default, crit_default = DEFAULT_TEMPERATURE_LIMITS.get(t.context, DEFAULT_OTHER_TEMPERATURE)
    upper_warn = t.upper_warning if t.upper_warning is not None else warn_default
    upper_crit = t.upper_critical if t.upper_critical is not None else crit_default
    source = "BMC" if t.upper_critical is not None else "dcctl default"
    level, text = "ok", ""
    if t.celsius is not None:
        if t.celsius >= upper_crit:
            level, text = "critical", f"{t.name} {t.celsius:g}°C >= critical {upper_crit:g}°C ({source})"
        elif t.celsius >= upper_warn:
            level, text = "warning", f"{t.name} {t.celsius:g}°C >= warning {upper_warn:g}°C ({source})"
        elif t.lower_critical is not None and t.celsius <= t.lower_critical:
            level, text = "critical", f"{t.name} {t.celsius:g}°C <= critical {t.lower_critical:g}°C"
        elif t.lower_warning is not None and t.celsius <= t.lower_warning:
            level, text = "warning", f"{t.name} {t.celsius:g}°C <= warning {t.lower_warning:g}°C"
    bmc = _level_of(t.health)
    if LEVELS.index(bmc) > LEVELS.index(level):
        level, text = bmc, f"{t.name} {t.celsius}°C: the BMC reports {t.health}"
    return level, text


def fan_level(f: Fan) -> tuple[str, str]:
    warn = f.lower_warning if f.lower_warning is not None else DEFAULT_FAN_MIN_RPM[0]
    crit = f.lower_critical if f.lower_critical is not None else DEFAULT_FAN_MIN_RPM[1]
    level, text = "ok", ""
    if f.rpm is not None:
        if f.rpm <= crit:
            level, text = "critical", f"{f.name} {f.rpm:g} RPM <= critical {crit:g} RPM"
        elif f.rpm <= warn:
            level, text = "warning", f"{f.name} {f.rpm:g} RPM <= warning {warn:g} RPM"
    bmc = _level_of(f.health)
    if LEVELS.index(bmc) > LEVELS.index(level):
        level, text = bmc, f"{f.name} {f.rpm} RPM: the BMC reports {f.health}"
    return level, text


# -- reading BMCs: I/O -----------------------------------------------------------------------

class SystemNotFound(Exception):
    """The BMC answers but has no system with the inventory's id."""


@dataclass(frozen=True)
class BmcTarget:
    device: str
    rack: str
    address: str
    system_id: str
    credentials: str
    planned_watts: int | None = None


def sweep(targets: list[BmcTarget], credentials: CredentialCache | None = None, *, ca: str | None = None,
          concurrency: int = 16, timeout: float = 10) -> list[BmcHealth]:
    """Read every BMC of ``targets`` concurrently; each result carries its marks or its error."""
    credentials = credentials or CredentialCache()
    if not targets:
        return []
    with redacted_logging(credentials), ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(targets))),
                                                           thread_name_prefix="health") as pool:
        return list(pool.map(lambda t: read_bmc(t, credentials, ca=ca, timeout=timeout), targets))


def read_bmc(target: BmcTarget, credentials: CredentialCache, *, ca: str | None = None,
             timeout: float = 10) -> BmcHealth:
    """One BMC's readings over Redfish; an unreachable or misconfigured BMC gives ``error``."""
    started = time.monotonic()
    result = BmcHealth(target.device, target.rack, target.address, planned_watts=target.planned_watts)
    try:
        creds = credentials.get(target.credentials)
        _read_into(result, target, creds, ca, timeout)
        result.marks = assess(result)
    except CredentialError as exc:
        result.error = str(exc)
    except Exception as exc:  # noqa: BLE001 - every failure is reported for this BMC only
        result.error = describe_redfish_error(exc, target, ca)
    result.seconds = time.monotonic() - started
    return result


def _read_into(result: BmcHealth, target: BmcTarget, creds, ca: str | None, timeout: float) -> None:
    import sushy
    import sushy.auth
    from sushy import connector as sushy_connector
    from sushy import exceptions as sushy_exc

    verify: bool | str = ca or True
    conn = sushy_connector.Connector(target.address, verify=verify, connect_timeout=min(timeout, 5),
                                     default_request_timeout=timeout)
    root = sushy.Sushy(target.address, verify=verify, connector=conn,
                       auth=sushy.auth.BasicAuth(creds.username, creds.password.reveal()))
    path = f"/redfish/v1/Systems/{target.system_id}"
    try:
        system = root.get_system(path)
    except sushy_exc.ResourceNotFoundError:
        try:
            members = [m.rsplit("/", 1)[-1] for m in root.get_system_collection().members_identities]
        except Exception:  # noqa: BLE001 - the listing is only a hint
            members = []
        raise SystemNotFound(f"wrong system id: the BMC has no system {target.system_id}"
                          + (f" (it has {', '.join(members)})" if members else "")) from None
    result.power_state = _value(system.power_state)
    result.health = _value(system.status.health_rollup or system.status.health) if system.status else None
    chassis_links = system.json.get("Links", {}).get("Chassis") or []
    if not chassis_links:
        return
    chassis = root.get_chassis(chassis_links[0]["@odata.id"])
    try:
        thermal = chassis.thermal
    except sushy_exc.MissingAttributeError:
        thermal = None
    if thermal is not None:
        for t in thermal.temperatures:
            result.temperatures.append(Temperature(
                t.name or t.identity, _value(t.physical_context) or "", t.reading_celsius,
                t.upper_threshold_non_critical, t.upper_threshold_critical,
                t.lower_threshold_non_critical, t.lower_threshold_critical,
                _value(t.status.health) if t.status else None))
        for f in thermal.fans:
            result.fans.append(Fan(f.name or f.identity, f.reading, f.lower_threshold_non_critical,
                                   f.lower_threshold_critical, _value(f.status.health) if f.status else None))
    try:
        power = chassis.power
    except sushy_exc.MissingAttributeError:
        power = None
    if power is not None:
        for p in power.power_supplies:
            result.psus.append(Psu(p.name or p.identity, _value(p.status.state) if p.status else None,
                                   _value(p.status.health) if p.status else None, p.last_power_output_watts))
        control = power.json.get("PowerControl") or []
        if control:
            result.consumed_watts = control[0].get("PowerConsumedWatts")


def describe_redfish_error(exc: BaseException, target: BmcTarget, ca: str | None) -> str:
    """One line an engineer can act on, from whatever sushy or requests raised."""
    from sushy import exceptions as sushy_exc

    text = str(exc)
    if isinstance(exc, SystemNotFound):
        return text
    if isinstance(exc, sushy_exc.AccessError):
        return f"the BMC refused the credentials of {target.credentials} (HTTP {exc.status_code})"
    if "CERTIFICATE_VERIFY_FAILED" in text or "SSLError" in text:
        hint = f"the CA bundle {ca}" if ca else f"the system CAs (give the BMC CA with --bmc-ca or ${CA_ENV})"
        return f"TLS verification failed against {hint}"
    if isinstance(exc, sushy_exc.ConnectionError):
        if "timed out" in text.lower() or "timeout" in text.lower():
            return f"unreachable: no answer from {target.address}"
        if "refused" in text.lower():
            return f"unreachable: connection refused by {target.address}"
        return f"unreachable: {target.address} ({text.splitlines()[0][:200]})"
    if isinstance(exc, sushy_exc.HTTPError):
        return f"the BMC answered HTTP {exc.status_code}: {exc.detail or exc.message}"[:300]
    return f"{type(exc).__name__}: {text.splitlines()[0][:300] if text else ''}"


def _value(field_value: Any) -> Any:
    """sushy gives enums for some fields and plain strings for others."""
    return getattr(field_value, "value", field_value)
