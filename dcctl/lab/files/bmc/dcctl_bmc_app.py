"""The lab's Redfish BMCs: sushy-tools' emulator (fake systems driver) plus hardware health.

Runs inside the lab venv under gunicorn (``dcctl_bmc_app:app``), bound on every BMC address
of the inventory. It does not import dcctl: everything it needs is in the JSON file named by
``DCCTL_BMC_CONFIG`` (written by ``dcctl.lab.services.bmc``). On top of sushy-tools it adds:

* one Chassis per system (``Links`` between system, chassis and manager fixed up), with the
  inventory's model, serial and rack placement;
* a dynamic ``Thermal`` (inlet, CPU and exhaust temperatures with thresholds, fans) and a
  ``Power`` resource (PSUs with status, ``PowerControl`` with ``PowerConsumedWatts``), read from
  a JSON file in the state dir on every request; health is derived from the thresholds;
  the consumed watts follow the system's power state (standby watts while it is off);
* per-BMC views: a request to ``https://127.0.20.N:28443`` sees only that BMC's system, chassis
  and manager, and only the credentials the inventory gives that BMC are accepted there
  (``127.0.0.1`` sees everything, for the lab's own use);
* a lab-only API to change readings: ``GET/POST/DELETE /lab/v1/sensors/<system uuid or name>``
  (POST merges the JSON body into the readings, DELETE restores the defaults).
"""

from __future__ import annotations

import copy
import fcntl
import hashlib
import json
import os
import random
import sys
import tempfile
import time

import bcrypt

_CONFIG = json.loads(open(os.environ["DCCTL_BMC_CONFIG"]).read())
_SYSTEMS = {s["uuid"]: s for s in _CONFIG["systems"]}
_BY_NAME = {s["name"]: s for s in _CONFIG["systems"]}
_BY_CHASSIS = {s["chassis_uuid"]: s for s in _CONFIG["systems"]}
_BY_IP = {s["ip"]: s for s in _CONFIG["systems"]}
_SENSORS = _CONFIG["sensors_file"]


def _write_htpasswd() -> None:
    """sushy-tools' basic auth wants an htpasswd file with bcrypt hashes: build it from the
    plaintext credentials file (mode 0600). Few rounds: it is checked on every request."""
    creds = json.loads(open(_CONFIG["credentials_file"]).read())
    lines = []
    for entry in creds.values():
        digest = bcrypt.hashpw(entry["password"].encode(), bcrypt.gensalt(rounds=4)).decode()
        lines.append(f"{entry['username']}:{digest}\n")
    fd = os.open(_CONFIG["htpasswd_file"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.writelines(lines)


_write_htpasswd()
os.environ["SUSHY_EMULATOR_CONFIG"] = _CONFIG["emulator_config"]

import flask  # noqa: E402

from sushy_tools.emulator import main as _main  # noqa: E402
from sushy_tools.emulator.resources.systems import fakedriver as _fakedriver  # noqa: E402
from sushy_tools import error  # noqa: E402

app = _main.app


class _PowerDelay:
    """Power actions are not immediate on real BMCs (fake driver: 1-11 s); the lab keeps a
    short, configurable delay so Ironic really waits for the state to change."""

    def randint(self, low, high):
        lo, hi = _CONFIG.get("power_delay", [1, 2])
        return random.randint(lo, hi)


_fakedriver.random = _PowerDelay()


# --- sensor readings -------------------------------------------------------------------

def _seed(system: dict) -> random.Random:
    return random.Random(int(hashlib.sha256(system["uuid"].encode()).hexdigest()[:8], 16))


def default_sensors(system: dict) -> dict:
    rnd = _seed(system)
    power_w = int(system.get("power_w") or 500)
    psu_w = 1100 if power_w <= 600 else 1400

    def temp(name, context, reading, unc, uc, uf, lnc=None, lc=None):
        t = {"name": name, "context": context, "reading": reading, "upper_non_critical": unc,
             "upper_critical": uc, "upper_fatal": uf}
        if lnc is not None:
            t.update({"lower_non_critical": lnc, "lower_critical": lc})
        return t

    fans = {f"fan{i}": {"name": f"System Board Fan{i}", "reading": rnd.randrange(5800, 8400, 120),
                        "lower_non_critical": 1200, "lower_critical": 600, "max": 18000}
            for i in range(1, 5)}
    return {
        "temperatures": {
            "inlet": temp("System Board Inlet Temp", "Intake", rnd.randint(20, 24), 38, 42, 47, 8, 3),
            "exhaust": temp("System Board Exhaust Temp", "Exhaust", rnd.randint(30, 36), 70, 75, 80),
            "cpu1": temp("CPU1 Temp", "CPU", rnd.randint(44, 55), 88, 93, 98),
            "cpu2": temp("CPU2 Temp", "CPU", rnd.randint(44, 55), 88, 93, 98),
        },
        "fans": fans,
        "psus": {
            f"psu{i}": {"name": f"PS{i} Status", "state": "Enabled", "health": "OK",
                        "capacity_watts": psu_w, "line_input_voltage": 230,
                        "model": f"PWR SPLY,{psu_w}W,RDNT", "serial": f"CN{rnd.randrange(10**9):09d}"}
            for i in (1, 2)
        },
        "power": {"consumed_watts": int(power_w * 0.55), "standby_watts": 14,
                  "capacity_watts": psu_w},
    }


def _read_all() -> dict:
    try:
        with open(_SENSORS) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def sensors_of(system: dict) -> dict:
    stored = _read_all().get(system["uuid"])
    return _merge(default_sensors(system), stored or {})


def _merge(base: dict, patch: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _update_stored(uuid: str, patch: dict | None) -> None:
    """Merge ``patch`` into the stored readings of one system (None: back to the defaults)."""
    with open(_SENSORS + ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = _read_all()
        if patch is None:
            data.pop(uuid, None)
        else:
            data[uuid] = _merge(data.get(uuid, {}), patch)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(_SENSORS), prefix=".sensors.")
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=2, sort_keys=True)
        os.replace(tmp, _SENSORS)


_HEALTH_ORDER = {"OK": 0, "Warning": 1, "Critical": 2}


def _worst(healths) -> str:
    return max(healths, key=lambda h: _HEALTH_ORDER.get(h, 0), default="OK")


def _temp_health(t: dict) -> str:
    r = t["reading"]
    if r is None:
        return "OK"
    if r >= t.get("upper_critical", 1e9) or r <= t.get("lower_critical", -1e9):
        return "Critical"
    if r >= t.get("upper_non_critical", 1e9) or r <= t.get("lower_non_critical", -1e9):
        return "Warning"
    return "OK"


def _fan_health(fan: dict) -> str:
    r = fan["reading"]
    if r <= fan.get("lower_critical", -1):
        return "Critical"
    if r <= fan.get("lower_non_critical", -1):
        return "Warning"
    return "OK"


def health_of(system: dict) -> str:
    s = sensors_of(system)
    return _worst([_temp_health(t) for t in s["temperatures"].values()]
                  + [_fan_health(f) for f in s["fans"].values()]
                  + [p["health"] for p in s["psus"].values()])


def _power_state(system: dict) -> str:
    try:
        return app.systems.get_power_state(system["uuid"])
    except Exception:  # noqa: BLE001 - unknown state reads as On
        return "On"


# --- which BMC a request reached -------------------------------------------------------

def _bmc_system() -> dict | None:
    """The system of the BMC address the client connected to (None: the all-systems view)."""
    host = flask.request.host.rsplit(":", 1)[0].strip("[]")
    return _BY_IP.get(host)


def _lookup(identity: str) -> dict | None:
    return _SYSTEMS.get(identity) or _BY_NAME.get(identity) or _BY_CHASSIS.get(identity)


@app.before_request
def _scope_to_bmc():
    """On a BMC's own address, only its system exists and only its credentials work."""
    own = _bmc_system()
    if own is None:
        return None
    user = flask.request.environ.get("HTTP_X_USER")
    if user is not None and user not in own["users"]:
        return _json_error(401, "Incorrect username or password")
    parts = flask.request.path.strip("/").split("/")
    if len(parts) >= 4 and parts[:2] == ["redfish", "v1"] and parts[2] in ("Systems", "Chassis",
                                                                           "Managers"):
        target = _lookup(parts[3])
        if target is not None and target is not own:
            return _json_error(404, f"{parts[2]} {parts[3]} was not found")
    return None


def _json_error(code: int, message: str):
    return flask.Response(json.dumps(_main._render_error(message)), status=code,
                          content_type="application/json")


@app.after_request
def _fix_links(response):
    """Give each system its own chassis and manager in the resources sushy-tools renders."""
    if response.status_code != 200 or response.content_type != "application/json":
        return response
    if flask.request.path.startswith("/lab/"):
        return response
    parts = flask.request.path.strip("/").split("/")
    if parts[:2] != ["redfish", "v1"] or len(parts) < 3:
        return response
    try:
        body = json.loads(response.get_data())
    except ValueError:
        return response
    own = _bmc_system()
    visible = [own] if own else list(_SYSTEMS.values())
    kind = parts[2]
    changed = True
    if len(parts) == 3 and kind in ("Systems", "Chassis", "Managers"):
        ids = {"Systems": "uuid", "Managers": "uuid", "Chassis": "chassis_uuid"}[kind]
        body["Members"] = [{"@odata.id": f"/redfish/v1/{kind}/{s[ids]}"} for s in visible]
        body["Members@odata.count"] = len(body["Members"])
    elif len(parts) == 4 and kind == "Systems" and (system := _lookup(parts[3])):
        body.setdefault("Links", {})["Chassis"] = [
            {"@odata.id": f"/redfish/v1/Chassis/{system['chassis_uuid']}"}]
        body.setdefault("Status", {"State": "Enabled", "Health": "OK"})
        body["Status"]["HealthRollup"] = health_of(system)
        body["Manufacturer"] = system.get("manufacturer") or body.get("Manufacturer")
        body["Model"] = system.get("model") or body.get("Model")
        body["SerialNumber"] = system.get("serial") or body.get("SerialNumber")
    elif len(parts) == 4 and kind == "Managers" and (system := _lookup(parts[3])):
        body.setdefault("Links", {})["ManagerForChassis"] = [
            {"@odata.id": f"/redfish/v1/Chassis/{system['chassis_uuid']}"}]
        body["Links"]["ManagerInChassis"] = {
            "@odata.id": f"/redfish/v1/Chassis/{system['chassis_uuid']}"}
    elif len(parts) == 4 and kind == "Chassis" and (system := _lookup(parts[3])):
        chassis_path = f"/redfish/v1/Chassis/{system['chassis_uuid']}"
        links = body.setdefault("Links", {})
        links["ComputerSystems"] = [{"@odata.id": f"/redfish/v1/Systems/{system['uuid']}"}]
        links["ManagedBy"] = [{"@odata.id": f"/redfish/v1/Managers/{system['uuid']}"}]
        links["ManagersInChassis"] = links["ManagedBy"]
        for key in ("Storage", "Drives", "Contains"):
            links.pop(key, None)
        body["Power"] = {"@odata.id": f"{chassis_path}/Power"}
        body["Thermal"] = {"@odata.id": f"{chassis_path}/Thermal"}
        body["ChassisType"] = "RackMount"
        body["Manufacturer"] = system.get("manufacturer") or "Contoso"
        body["Model"] = system.get("model") or body.get("Model")
        body["SerialNumber"] = system.get("serial") or body.get("SerialNumber")
        body["SKU"] = system.get("serial") or body.get("SKU")
        body["AssetTag"] = system["name"]
        body["PowerState"] = _power_state(system)
        placement = {"Rack": system.get("rack") or "", "RackOffsetUnits": "EIA_310",
                     "RackOffset": system.get("position") or 0}
        body["Location"] = {"Placement": placement}
        body["Status"] = {"State": "Enabled", "Health": health_of(system),
                          "HealthRollup": health_of(system)}
    else:
        changed = False
    if changed:
        response.set_data(json.dumps(body, indent=4))
    return response


# --- Thermal and Power ----------------------------------------------------------------

def _chassis_system(identity: str) -> dict:
    uuid = app.chassis.uuid(identity)  # raises AliasAccessError (-> redirect) for names
    system = _BY_CHASSIS.get(uuid)
    if system is None:
        raise error.NotFound(f"Chassis {identity} was not found")
    return system


def _status(health: str, state: str = "Enabled") -> dict:
    return {"State": state, "Health": health}


def _thermal(identity):
    system = _chassis_system(identity)
    s = sensors_of(system)
    base = f"/redfish/v1/Chassis/{identity}/Thermal"
    temps = []
    for i, (key, t) in enumerate(s["temperatures"].items()):
        reading = t["reading"]
        entry = {
            "@odata.id": f"{base}#/Temperatures/{i}", "MemberId": key, "Name": t["name"],
            "SensorNumber": i + 1, "Status": _status(_temp_health({**t, "reading": reading})),
            "ReadingCelsius": reading, "PhysicalContext": t["context"],
            "UpperThresholdNonCritical": t.get("upper_non_critical"),
            "UpperThresholdCritical": t.get("upper_critical"),
            "UpperThresholdFatal": t.get("upper_fatal"),
            "MinReadingRangeTemp": -20, "MaxReadingRangeTemp": 120,
            "RelatedItem": [{"@odata.id": f"/redfish/v1/Systems/{system['uuid']}"}],
        }
        if "lower_non_critical" in t:
            entry["LowerThresholdNonCritical"] = t["lower_non_critical"]
            entry["LowerThresholdCritical"] = t["lower_critical"]
        temps.append(entry)
    fans = []
    for i, (key, fan) in enumerate(s["fans"].items()):
        fans.append({
            "@odata.id": f"{base}#/Fans/{i}", "MemberId": key, "Name": fan["name"],
            "FanName": fan["name"], "PhysicalContext": "SystemBoard",
            "Status": _status(_fan_health(fan)), "Reading": fan["reading"],
            "ReadingUnits": "RPM", "LowerThresholdNonCritical": fan.get("lower_non_critical"),
            "LowerThresholdCritical": fan.get("lower_critical"), "MinReadingRange": 0,
            "MaxReadingRange": fan.get("max", 18000),
            "RelatedItem": [{"@odata.id": f"/redfish/v1/Chassis/{identity}"}],
        })
    body = {
        "@odata.type": "#Thermal.v1_5_0.Thermal", "@odata.context": "/redfish/v1/$metadata#Thermal.Thermal",
        "@odata.id": base, "Id": "Thermal", "Name": "Thermal",
        "Status": _status(_worst([t["Status"]["Health"] for t in temps + fans])),
        "Temperatures": temps, "Fans": fans,
    }
    return flask.Response(json.dumps(body, indent=4), content_type="application/json")


def _power(identity):
    system = _chassis_system(identity)
    s = sensors_of(system)
    base = f"/redfish/v1/Chassis/{identity}/Power"
    on = _power_state(system) == "On"
    working = [p for p in s["psus"].values() if p["health"] != "Critical" and p["state"] == "Enabled"]
    consumed = s["power"]["consumed_watts"] if on else s["power"]["standby_watts"]
    psus = []
    for i, (key, p) in enumerate(s["psus"].items()):
        ok = p in working
        psus.append({
            "@odata.id": f"{base}#/PowerSupplies/{i}", "MemberId": key, "Name": p["name"],
            "Status": _status(p["health"], p["state"]), "PowerSupplyType": "AC",
            "LineInputVoltageType": "ACMidLine", "LineInputVoltage": p["line_input_voltage"] if ok else 0,
            "PowerCapacityWatts": p["capacity_watts"],
            "LastPowerOutputWatts": round(consumed / len(working)) if ok and working else 0,
            "Model": p["model"], "SerialNumber": p["serial"], "Manufacturer": "Contoso",
            "FirmwareVersion": "00.1D.7D",
            "InputRanges": [{"InputType": "AC", "MinimumVoltage": 100, "MaximumVoltage": 240,
                             "OutputWattage": p["capacity_watts"]}],
            "Redundancy": [{"@odata.id": f"{base}#/Redundancy/0"}],
        })
    redundancy_health = "OK" if len(working) == len(psus) else ("Warning" if working else "Critical")
    body = {
        "@odata.type": "#Power.v1_5_0.Power", "@odata.context": "/redfish/v1/$metadata#Power.Power",
        "@odata.id": base, "Id": "Power", "Name": "Power",
        "PowerControl": [{
            "@odata.id": f"{base}#/PowerControl/0", "MemberId": "0", "Name": "System Power Control",
            "PowerConsumedWatts": consumed, "PowerCapacityWatts": s["power"]["capacity_watts"],
            "PowerMetrics": {"IntervalInMin": 1, "MinConsumedWatts": consumed,
                             "MaxConsumedWatts": consumed, "AverageConsumedWatts": consumed},
            "Status": _status("OK"),
            "RelatedItem": [{"@odata.id": f"/redfish/v1/Systems/{system['uuid']}"}],
        }],
        "PowerSupplies": psus,
        "Redundancy": [{
            "@odata.id": f"{base}#/Redundancy/0", "MemberId": "0", "Name": "PSU Redundancy",
            "Mode": "N+m", "MinNumNeeded": 1, "MaxNumSupported": len(psus),
            "Status": _status(redundancy_health),
            "RedundancySet": [{"@odata.id": f"{base}#/PowerSupplies/{i}"} for i in range(len(psus))],
        }],
    }
    return flask.Response(json.dumps(body, indent=4), content_type="application/json")


app.view_functions["thermal_resource"] = _thermal
app.add_url_rule("/redfish/v1/Chassis/<identity>/Power", "power_resource", _power,
                 methods=["GET"])


# --- the lab-only API ---------------------------------------------------------------------

def _lab_sensors(identity):
    system = _lookup(identity)
    own = _bmc_system()
    if system is None or (own is not None and system is not own):
        return _json_error(404, f"no system {identity}")
    if flask.request.method == "POST":
        patch = flask.request.get_json(force=True, silent=True)
        if not isinstance(patch, dict):
            return _json_error(400, "body must be a JSON object to merge into the readings")
        _update_stored(system["uuid"], patch)
    elif flask.request.method == "DELETE":
        _update_stored(system["uuid"], None)
    body = {"system": system["uuid"], "name": system["name"], "health": health_of(system),
            "sensors": sensors_of(system)}
    return flask.Response(json.dumps(body, indent=2), content_type="application/json")


app.add_url_rule("/lab/v1/sensors/<identity>", "lab_sensors", _lab_sensors,
                 methods=["GET", "POST", "DELETE"])
app.logger.info("dcctl lab BMCs: %d systems, readings in %s (started %s)", len(_SYSTEMS),
                _SENSORS, time.strftime("%H:%M:%S"))
if __name__ == "__main__":
    sys.exit("serve this module with gunicorn: dcctl_bmc_app:app")
