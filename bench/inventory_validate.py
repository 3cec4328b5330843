"""Load + validate a generated inventory of 500 racks / 10,000 devices.

Goal (issue 2): < 1 s. Also reports the whole `dcctl inventory validate` command.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchlib import Measure, report, time_command

SITES = 10
RACKS_PER_SITE = 50
DEVICES_PER_RACK = 20


def generate(root: Path) -> int:
    """Write one file per site (site, hall, networks) and one per hall of racks; return device count."""
    count = 0
    for s in range(SITES):
        site = f"site{s:02d}"
        lines = [f"sites:\n  - {{name: {site}, governorate: G{s}, region: r{s}}}",
                 "halls:\n" + "".join(f"  - {{name: hall-{h}, site: {site}}}\n" for h in range(2)),
                 f"networks:\n  - {{name: {site}-mgmt, site: {site}, role: management, vlan: 100, "
                 f"prefix: 10.{s}.0.0/16}}\n  - {{name: {site}-bmc, site: {site}, role: bmc, vlan: 110, "
                 f"prefix: 10.{100 + s}.0.0/16}}"]
        (root / f"{site}.yaml").write_text("\n".join(lines) + "\n")
        for h in range(2):
            out = ["racks:"]
            devices = ["devices:"]
            for r in range(RACKS_PER_SITE // 2):
                rack = f"{site}-h{h}-r{r:02d}"
                out.append(f"  - {{name: {rack}, site: {site}, hall: hall-{h}, height_u: 42, power_budget_w: 12000}}")
                for d in range(DEVICES_PER_RACK):
                    n = count
                    count += 1
                    ip = f"10.{s}.{n // 250 % 250}.{n % 250 + 1}"
                    bmc = f"10.{100 + s}.{n // 250 % 250}.{n % 250 + 1}"
                    mac = f"52:54:{n >> 24 & 255:02x}:{n >> 16 & 255:02x}:{n >> 8 & 255:02x}:{n & 255:02x}"
                    devices.append(
                        f"  - name: {rack}-d{d:02d}\n    rack: {rack}\n    role: compute\n"
                        f"    position: {d * 2 + 1}\n    height_u: 2\n    model: R760\n    serial: SN{n:08d}\n"
                        f"    power_w: 400\n    management_ip: {ip}\n"
                        f"    bmc: {{address: 'https://{bmc}', system_id: sys-{n}, credentials: 'env:BMC'}}\n"
                        f"    nics: [{{name: eno1, mac: '{mac}', pxe: true}}]\n"
                        f"    ssh: {{host: {ip}}}")
            (root / f"{site}-hall-{h}.yaml").write_text("\n".join(out + devices) + "\n")
    return count


def main() -> None:
    from dcctl.inventory import load_inventory

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        devices = generate(root)
        samples = []
        for _ in range(3):
            start = time.perf_counter()
            inv, problems = load_inventory(root)
            samples.append(time.perf_counter() - start)
            assert len(inv.devices) == devices and len(inv.racks) == SITES * RACKS_PER_SITE, problems[:3]
            assert not problems, problems[:3]
        elapsed = statistics.median(samples)
        bin_dir = Path(sys.executable).parent
        cli = time_command([str(bin_dir / "dcctl"), "--inventory", str(root), "inventory", "validate"], 3)
    report([
        Measure("inventory_validate_10k", elapsed, "s", "< 1 s", elapsed < 1.0),
        Measure("inventory_validate_10k_cli", cli, "s", "< 1 s (informative)", cli < 1.0),
    ])


if __name__ == "__main__":
    main()
