"""Racks: the inventory's servers enrolled and provisioned in Ironic, their BMCs and hosts checked.

* ``desired``    what Ironic should hold for each server (pure)
* ``ironic``     node and port states, the two-list-call snapshot
* ``plan``       enroll plan and drift: desired vs snapshot (pure)
* ``apply``      the enroll plan's writes, through ``dcctl.core.executor``
* ``provision``  manage -> provide -> deploy, many nodes at once
* ``power``      power on / off / reboot through Ironic
* ``progress``   per-node progress display (live bars or lines)
* ``health``     Redfish sweep of the BMCs (sushy) and thresholds
* ``ssh_check``  SSH preflight (paramiko, strict host keys)
* ``credentials`` / ``deploy_profile``  what the inventory references but does not hold
"""
