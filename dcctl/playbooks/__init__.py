"""Playbooks: the OS and service configuration of rack hosts, run through ansible-runner.

A small surface over ansible-runner's:

- ``catalog``: the playbooks of a ``playbooks/`` directory, each with a one-line description;
- ``targets``: which hosts a ``--limit`` names, and the runner's inventory built in memory
  from the rack inventory, with SSH host-key checking always on;
- ``recap``: ansible-runner's events folded into per-host results (pure);
- ``runner``: one run through ``ansible_runner.run`` with live per-host events;
- ``runs``: run ids, the run directory under ``state_dir()/playbook-runs``, its summary
  and the audit record, read back by ``dcctl playbook show`` and the exporter.
"""
