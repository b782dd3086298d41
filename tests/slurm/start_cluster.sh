#!/usr/bin/env bash
# Start a private one-node SLURM cluster on localhost: its own munged, slurmctld
# and slurmd, with every socket, key, state and log file under DIR.
#   tests/slurm/start_cluster.sh DIR     then   export PATH=DIR/bin:$PATH
# Ports: $SLURM_CTLD_PORT and $SLURM_SLURMD_PORT (default 6817, 6818).
# Stop it with tests/slurm/stop_cluster.sh DIR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mkdir -p "$1" && cd "$1" && pwd)
mkdir -p "$dir/state" "$dir/spool"
chmod 700 "$dir"

cpus=$(nproc)
# A little under the machine's memory, so slurmd never marks the node short.
mem_mb=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
sed -e "s|@DIR@|$dir|g" -e "s|@CPUS@|$cpus|" -e "s|@MEM_MB@|$mem_mb|" \
    -e "s|@CTLD_PORT@|${SLURM_CTLD_PORT:-6817}|" \
    -e "s|@SLURMD_PORT@|${SLURM_SLURMD_PORT:-6818}|" \
    "$here/slurm.conf.in" >"$dir/slurm.conf"
export SLURM_CONF=$dir/slurm.conf

# Client commands that find this cluster by themselves. SLURM_CONF alone is not
# enough: the jobstep plugin drops every SLURM_* variable before it calls srun
# inside a job, and srun then looks for /etc/slurm/slurm.conf.
mkdir -p "$dir/bin"
for cmd in sbatch srun squeue scancel sinfo scontrol sacct; do
    real=$(PATH=${PATH//"$dir/bin:"/} command -v "$cmd")
    printf '#!/bin/sh\nSLURM_CONF=%s exec %s "$@"\n' "$SLURM_CONF" "$real" >"$dir/bin/$cmd"
    chmod +x "$dir/bin/$cmd"
done

mungekey --create --force --keyfile="$dir/munge.key"
chmod 400 "$dir/munge.key"
munged --force --socket="$dir/munge.socket" --key-file="$dir/munge.key" \
    --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" \
    --seed-file="$dir/munged.seed"
slurmctld -f "$dir/slurm.conf" -i
slurmd -f "$dir/slurm.conf" -N localhost

# Ready when the node is idle and takes jobs.
for _ in $(seq 60); do
    state=$(sinfo --noheader --nodes=localhost --format=%T 2>/dev/null || true)
    if [ "$state" = idle ]; then
        echo "start_cluster: one node, $cpus CPUs, $mem_mb MB; commands in $dir/bin"
        exit 0
    fi
    sleep 0.5
done
echo "start_cluster: node not idle after 30 s (state: '${state:-none}'); logs in $dir" >&2
tail -n 20 "$dir"/slurmctld.log "$dir"/slurmd.log >&2 || true
exit 1
