"""A deploy profile: how a site's Ironic boots and deploys its servers (no secrets).

The inventory says *which* servers exist; the profile says how this Ironic handles them,
which differs between sites and the lab. It is a small YAML file named by
``--deploy-profile`` or ``$DCCTL_DEPLOY_PROFILE`` (``dcctl lab env`` exports the lab's)::

    node:                 # node fields set at enroll
      boot_interface: pxe
      deploy_interface: ramdisk
    driver_info:          # extra driver_info, besides the BMC address, system and credentials
      redfish_verify_ca: /etc/dcctl/bmc-ca.pem   # as the conductor sees it
    instance_info:        # set on each node before a deploy (provision --to active)
      kernel: file:///srv/images/vmlinuz
      ramdisk: file:///srv/images/initrd
    resource_classes:     # Ironic resource class by device role  [default: baremetal-ROLE]
      compute: baremetal-compute

Without a profile, nodes get Ironic's default interfaces, TLS to the BMC verified
against the conductor's system CAs, and ``provision --to active`` needs nodes that
already carry an ``instance_info``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dcctl.core.errors import InputError

PROFILE_ENV = "DCCTL_DEPLOY_PROFILE"

NODE_FIELDS = frozenset({
    *(f"{i}_interface" for i in ("bios", "boot", "console", "deploy", "firmware", "inspect",
                                 "management", "network", "power", "raid", "rescue", "storage",
                                 "vendor")),
    "conductor_group", "owner", "lessee", "description", "chassis_uuid", "network_data",
})
OWNED_DRIVER_INFO = frozenset({"redfish_address", "redfish_system_id", "redfish_username",
                               "redfish_password"})


class DeployProfile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    node: dict[str, str] = Field(default_factory=dict)
    driver_info: dict[str, Any] = Field(default_factory=dict)
    instance_info: dict[str, Any] = Field(default_factory=dict)
    resource_classes: dict[str, str] = Field(default_factory=dict)
    source: str = Field("", exclude=True)

    @field_validator("node")
    @classmethod
    def _known_node_fields(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - NODE_FIELDS)
        if unknown:
            raise ValueError(f"unknown node field(s) {', '.join(unknown)}; "
                             f"allowed: {', '.join(sorted(NODE_FIELDS))}")
        return value

    @field_validator("driver_info", "instance_info")
    @classmethod
    def _no_secrets(cls, value: dict[str, Any]) -> dict[str, Any]:
        owned = sorted(set(value) & OWNED_DRIVER_INFO)
        if owned:
            raise ValueError(f"{', '.join(owned)} come(s) from the inventory, not the profile")
        secret = sorted(k for k in value if "password" in k.lower() or "secret" in k.lower())
        if secret:
            raise ValueError(f"{', '.join(secret)}: a deploy profile holds no secrets")
        return value

    def resource_class(self, role: str) -> str:
        return self.resource_classes.get(role, f"baremetal-{role}")


def load_deploy_profile(path: str | os.PathLike | None) -> DeployProfile:
    """The profile at ``path`` (or ``$DCCTL_DEPLOY_PROFILE``); the empty profile when neither is set."""
    import yaml

    if not path:
        path = os.environ.get(PROFILE_ENV) or None
    if not path:
        return DeployProfile()
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except OSError as exc:
        raise InputError(f"deploy profile {path}: {exc.strerror}",
                         f"pass --deploy-profile FILE or set {PROFILE_ENV}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise InputError(f"deploy profile {where}: not valid YAML") from None
    if not isinstance(data, dict):
        raise InputError(f"deploy profile {path}: expected a mapping with node / driver_info / "
                         "instance_info / resource_classes")
    try:
        return DeployProfile(**data, source=str(path))
    except (ValidationError, TypeError) as exc:
        if isinstance(exc, ValidationError):
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            message = first["msg"].removeprefix("Value error, ")
        else:
            where, message = "", str(exc)
        raise InputError(f"deploy profile {path}: {where}: {message}",
                         "see docs/racks.md for the profile's format") from None
