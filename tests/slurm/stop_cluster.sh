#!/usr/bin/env bash
# Stop the cluster that start_cluster.sh started under DIR: cancel its jobs,
# then end slurmd, slurmctld and munged by the pids they wrote, and wait.
set -uo pipefail
dir=$(cd "$1" && pwd)
export SLURM_CONF=$dir/slurm.conf

if [ -f "$dir/slurmctld.pid" ]; then
    scancel --full --quiet --user="$(id -un)" 2>/dev/null
    for _ in $(seq 40); do
        [ -z "$(squeue --noheader --states=PENDING,RUNNING,COMPLETING 2>/dev/null)" ] && break
        sleep 0.25
    done
fi

status=0
for daemon in slurmd slurmctld munged; do
    pidfile=$dir/$daemon.pid
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 40); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.25
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "stop_cluster: $daemon ($pid) ignored SIGTERM; killing it" >&2
        kill -KILL "$pid" 2>/dev/null
        status=1
    fi
done
exit $status
