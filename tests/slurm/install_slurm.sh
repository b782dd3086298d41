#!/usr/bin/env bash
# Install Debian's SLURM and MUNGE if they are missing (root, apt). Idempotent
# and quiet. The packages' own services are never started: tests start a
# private cluster with start_cluster.sh instead.
set -euo pipefail

if command -v slurmctld >/dev/null && command -v slurmd >/dev/null &&
    command -v sbatch >/dev/null && command -v munged >/dev/null; then
    exit 0
fi
echo "install_slurm: installing slurm-wlm and munge with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
# Keep postinst scripts from starting system daemons (exit 101 = "not allowed").
policy=/usr/sbin/policy-rc.d
ours=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && ours=1
fi
trap '[ "$ours" = 1 ] && rm -f "$policy"' EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
