#!/usr/bin/env bash
# README command 1: set up everything and run the demo on the local lab cloud.
source "$(dirname "$0")/bootstrap.sh"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "validate the rack inventory"
dcctl inventory validate
step "the racks: units and power"
dcctl inventory show
step "one rack in detail"
dcctl inventory show --rack bgw-a01
step "export it for Ansible (groups per site, hall, rack, role)"
mkdir -p demo-output
dcctl inventory export --format ansible -o demo-output/ansible-hosts.yml
dcctl inventory export --format json -o demo-output/inventory.json
ansible-inventory -i dcctl-ansible-inventory --graph | head -20
step "rack elevations"
for rack in bgw-a01 bgw-a02 bgw-b01 bsr-r01; do dcctl inventory elevation "$rack" -o "demo-output/$rack.svg"; done

step "bring up the lab cloud (Keystone, Neutron, Nova, Cinder, Ironic, Redfish BMCs, rack hosts, Prometheus)"
dcctl lab up
dcctl lab status
eval "$(dcctl lab env)"
step "the lab answers the openstack CLI"
openstack project list
openstack catalog list -f value -c Name -c Type

cat <<MSG

Demo done. Where to look:
  eval "\$(.venv/bin/dcctl lab env)"      # OS_CLOUD=dcctl-lab and friends
  .venv/bin/openstack project list
  .venv/bin/dcctl lab status             # services, URLs, PIDs, memory
  demo-output/                           # Ansible inventory, JSON export, rack elevations (SVG)
  .lab/logs/                             # every lab service's log
Stop the lab with: .venv/bin/dcctl lab down
MSG
