#!/bin/sh
# The embedded default: build agentd, build a busybox OCI image from
# Debian's busybox-static, and run agentd in the foreground on the example
# static pods in contrib/examples/pods, as node "node1" (so the pods are
# web-node1, job-node1 and crash-node1).
#
# Where it writes: everything in examples-run/ (config, images, bundles,
# logs, audit log, the CNI configuration in net.d and host-local's leases
# in cni-ipam), except the pods' cgroups, which are /agentd-example in
# every cgroup hierarchy (/sys/fs/cgroup/*/agentd-example), the pod
# network (contrib/example-net.sh: the bridge agentd-ex0 with 10.89.N.1/24
# and, for the web pod's hostPort, portmap's iptables chains), and the log
# of contrib/install-deps.sh (/var/log/agentd-install-deps.log).
#
# Ctrl-C (or SIGTERM) stops agentd.  The containers keep running, as with
# the kubelet; the cgroups of pods that are gone are removed, and those of
# running pods stay (remove the manifests while agentd runs to stop them).
# Once no pod holds an address, the bridge and the chains the example made
# are removed too.
# Another terminal: build/agentctl -f examples-run/agentd.yaml get pods
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
run="$top/examples-run"
cgroup=/agentd-example

contrib/install-deps.sh run
mkdir -p "$run/empty" "$run/audit"
chmod 0755 "$run" "$run/empty"
echo "run-example: building (make all)"
make -s -j"$(nproc)" all >"$run/make.log" 2>&1 || {
	tail -n 30 "$run/make.log" >&2
	echo "run-example: make all failed; the whole output is in" \
	    "$run/make.log" >&2
	exit 1
}
[ -d "$run/busybox-oci" ] || contrib/mkimage-busybox.sh "$run/busybox-oci"
contrib/example-net.sh up "$run"

# agentd runs its workers only from a directory whose whole path is
# root-owned and not group/other-writable (agentd(8)); a checkout below
# /tmp or a home directory is not, so the workers then run from a copy
safe_path() {
	p=$1
	while :; do
		[ "$(stat -c %u "$p")" = 0 ] || return 1
		[ $(( 0$(stat -c %a "$p") & 022 )) -eq 0 ] || return 1
		[ "$p" = / ] && return 0
		p=$(dirname "$p")
	done
}
libexec="$top/build"
if ! safe_path "$libexec"; then
	libexec=/run/agentd-example/libexec
	echo "run-example: $top/build is below a directory others may write;" \
	    "running the workers from a copy in $libexec"
	mkdir -p "$libexec"
	chmod 0755 /run/agentd-example "$libexec"
	for w in agentd-watcher agentd-netparse agentd-executor agentd-reporter \
	    agentd-pause; do
		install -m 0755 "$top/build/$w" "$libexec/$w"
	done
fi

cat > "$run/agentd.yaml" <<EOT
nodeName: node1
staticPodPath: $top/contrib/examples/pods
rootDir: $run/root
runDir: $run/run
podLogsDir: $run/logs
cgroupRoot: $cgroup
privsepUser: _agentd
privsepChroot: $run/empty
libexecDir: $libexec
auditLog: $run/audit/audit.log
runtime: auto
cniConfDir: $run/net.d
EOT

# rmdir, deepest first, the example's cgroups that hold no process: a pod
# that still runs keeps its cgroups (and its parents)
rmdir_cgroups() {
	left=0
	for base in /sys/fs/cgroup/*"$cgroup" /sys/fs/cgroup"$cgroup"; do
		[ -d "$base" ] || continue
		find "$base" -depth -type d -exec rmdir {} \; 2>/dev/null || :
		[ -d "$base" ] && left=1
	done
	if [ $left -eq 1 ]; then
		echo "run-example: pods still run (as with the kubelet); their" \
		    "cgroups stay under /sys/fs/cgroup/*$cgroup"
	else
		echo "run-example: removed the cgroups $cgroup"
	fi
}

# the bridge and the chains, once no pod holds an address
net_down() {
	contrib/example-net.sh down "$run" ||
	    echo "run-example: removing the pod network failed" >&2
}

agentd=""
importer=""
stop() {
	trap - INT TERM USR1
	[ -n "$importer" ] && { kill "$importer" 2>/dev/null || :; }
	if [ -n "$agentd" ]; then
		echo "run-example: stopping agentd"
		kill -TERM "$agentd" 2>/dev/null || :
		wait "$agentd" || :
	fi
	rmdir_cgroups
	net_down
	exit "$1"
}
trap 'stop 0' INT TERM
trap 'stop 1' USR1

# once agentd's executor runs, import the image; pods wait for it meanwhile
executor_up() {
	build/agentctl -f "$run/agentd.yaml" status 2>/dev/null |
	    awk '$1 == "executor" && $NF == "running" { up = 1 }
	        END { exit !up }'
}
(
	i=0
	while [ $i -lt 150 ] && ! executor_up; do
		sleep 0.2; i=$((i + 1))
	done
	if ! build/agentctl -f "$run/agentd.yaml" image import \
	    "$run/busybox-oci" busybox; then
		echo "run-example: the image import failed; stopping" >&2
		kill -USR1 $$
		exit 1
	fi
	echo "try: build/agentctl -f examples-run/agentd.yaml get pods"
) &
importer=$!

# not exec: this shell outlives agentd, to stop it on SIGTERM as on Ctrl-C
# and to remove the cgroups after it
build/agentd -f "$run/agentd.yaml" &
agentd=$!
while kill -0 "$agentd" 2>/dev/null; do
	wait "$agentd" && rc=0 || rc=$?
done
agentd=""
echo "run-example: agentd exited (status ${rc:-?})"
rmdir_cgroups
net_down
exit "${rc:-1}"
