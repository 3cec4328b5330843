#!/usr/bin/env bash
# README command 2: set up everything and run the whole test suite (unit + integration on the lab).
source "$(dirname "$0")/bootstrap.sh"
exec python -m pytest "$@"
