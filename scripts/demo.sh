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

step "tenants: the ministries' requests, validated, planned and applied (phase 1, then all)"
if ! openstack network show public >/dev/null 2>&1; then   # the lab's stand-in for the provider network
    openstack network create public --external --provider-network-type flat --provider-physical-network public >/dev/null
    openstack subnet create public --network public --subnet-range 203.0.113.0/24 --no-dhcp >/dev/null
fi
dcctl tenant validate
dcctl tenant plan --phase 1 | tail -3
dcctl tenant apply --phase 1 --yes
dcctl tenant apply --yes
dcctl tenant plan | tail -1          # a re-plan is a no-op
dcctl tenant show health
dcctl audit log --tenant health --limit 5
dcctl audit verify

step "a ministry's request: explained in English and Arabic, never applied before approval"
dcctl tenant request check requests/water-resources.yaml
step "the director approves it (into a scratch copy of tenants/, so the sample stays a request); plan shows what apply would do"
rm -rf demo-output/approval && mkdir -p demo-output/approval
cp -r tenants requests demo-output/approval/
dcctl tenant request approve demo-output/approval/requests/water-resources.yaml --by "Director, Cloud Services" \
    --requests demo-output/approval/requests --tenants demo-output/approval/tenants
dcctl audit log --tenant water-resources --limit 1
dcctl tenant plan --tenants demo-output/approval/tenants --tenant water-resources | tail -3

step "ministry staff: the e-payment platform's people as Keystone users (one-time passwords to an owner-only file)"
dcctl people import people/cbi-epayment.csv --tenant cbi-epayment --yes
dcctl people import people/cbi-epayment.csv --tenant cbi-epayment --plan | tail -1   # a re-import is a no-op

step "the e-service catalogue, probed now (the lab answers the sample endpoints on loopback)"
dcctl service list
dcctl service check

step "racks: enroll the Baghdad control-plane rack in Ironic and provision it"
dcctl rack enroll bgw-a01
dcctl rack provision bgw-a01 --to available
dcctl rack list
step "hardware health of the rack over Redfish"
dcctl rack health bgw-a01
step "SSH preflight of every rack host (strict host keys)"
dcctl rack check --all
step "playbooks: the baseline on the control plane"
dcctl playbook run site --limit rack:bgw-a01
step "build-out report for managers"
dcctl buildout report -o demo-output/buildout-report.html

step "the dcctl exporter, scraped by the lab's Prometheus"
if ! curl -sf http://127.0.0.1:9180/metrics >/dev/null 2>&1; then
    setsid nohup dcctl exporter serve --listen 127.0.0.1:9180 > .lab/logs/exporter.log 2>&1 &  # own session: `lab down` stops its group
    pid=$!   # "PID STARTTIME", as the lab records its own: `dcctl lab down` stops it with the lab
    echo "$pid $(cut -d')' -f2 /proc/$pid/stat | awk '{print $20}')" > .lab/run/exporter.pid
fi
for _ in $(seq 60); do curl -sf http://127.0.0.1:9180/metrics | grep -q '^dcctl_bmc_up' && break; sleep 1; done
curl -s http://127.0.0.1:9180/metrics | grep -E '^dcctl_(inventory_racks|bmc_up|baremetal_nodes)' | head -12
for _ in $(seq 90); do curl -sf http://127.0.0.1:9180/metrics | grep -q '^dcctl_tenant_quota_limit' && break; sleep 1; done
curl -s http://127.0.0.1:9180/metrics | grep -E '^dcctl_(tenant_quota_(limit|usage)\{project="health",resource="(cores|ram_gb)"|drift_items|service_up)' | head -12

cat <<MSG

Demo done. Where to look:
  eval "\$(.venv/bin/dcctl lab env)"      # OS_CLOUD=dcctl-lab and friends
  .venv/bin/openstack project list
  .venv/bin/dcctl lab status             # services, URLs, PIDs, memory
  demo-output/                           # Ansible inventory, JSON export, rack elevations, build-out report
  http://127.0.0.1:9180/metrics          # the dcctl exporter; Prometheus at http://127.0.0.1:29090
  .lab/logs/                             # every lab service's log
Stop the lab with: .venv/bin/dcctl lab down
MSG
