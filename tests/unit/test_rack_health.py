"""Which BMC readings are marked: the BMC's thresholds, dcctl's defaults, the BMC's own verdicts."""

from __future__ import annotations

import pytest

from dcctl.racks.health import BmcHealth, Fan, Psu, Temperature, assess, fan_level, temperature_level


def inlet(celsius, warn=38, crit=42, health="OK"):
    return Temperature("Inlet Temp", "Intake", celsius, warn, crit, 8, 3, health)


@pytest.mark.parametrize("celsius, level", [(24, "ok"), (38, "warning"), (41.5, "warning"), (42, "critical"),
                                            (5, "warning"), (2, "critical")])
def test_temperature_against_the_bmc_thresholds(celsius, level):
    assert temperature_level(inlet(celsius))[0] == level


def test_dcctl_defaults_apply_when_the_bmc_gives_no_threshold():
    level, text = temperature_level(Temperature("Inlet", "Intake", 36, health=None))
    assert level == "warning" and "(dcctl default)" in text
    assert temperature_level(Temperature("CPU1", "CPU", 96))[0] == "critical"
    assert temperature_level(Temperature("DIMM", "Memory", 50))[0] == "ok"


def test_the_bmc_own_verdict_wins_when_worse():
    level, text = temperature_level(inlet(30, health="Critical"))
    assert level == "critical" and "the BMC reports Critical" in text


def test_fans_are_marked_below_their_lower_thresholds():
    assert fan_level(Fan("Fan1", 7000, 1200, 600))[0] == "ok"
    assert fan_level(Fan("Fan1", 1100, 1200, 600))[0] == "warning"
    assert fan_level(Fan("Fan1", 0, None, None))[0] == "critical"  # dcctl default: 500 RPM


def test_assess_marks_a_hot_inlet_a_failed_psu_and_draw_over_plan_worst_first():
    h = BmcHealth("bgw-cmp01", "bgw-a02", "https://bmc", power_state="On", health="Critical",
                  temperatures=[inlet(45), Temperature("CPU1", "CPU", 50, 88, 93)],
                  fans=[Fan("Fan1", 7000, 1200, 600, "OK")],
                  psus=[Psu("PS1", "Enabled", "OK", 400), Psu("PS2", "Enabled", "Critical", 0),
                        Psu("PS3", "Absent", None)],
                  consumed_watts=900, planned_watts=780)
    marks = assess(h)
    assert [(m.level, m.sensor) for m in marks] == [
        ("critical", "Inlet Temp"), ("critical", "PS2"), ("critical", "PS3"), ("warning", "power")]
    assert marks[0].text == "Inlet Temp 45°C >= critical 42°C (BMC)"
    h.marks = marks
    assert h.level == "critical"
    assert BmcHealth("x", "r", "a", error="unreachable: connection refused").level == "unreachable"
