#!/bin/sh
# fresh-root.sh [--plain] example|check
#
# Runs one of the README's two commands, as written, in a fresh Debian 12
# minbase root, as root:
#   example  contrib/run-example.sh, until `build/agentctl -f
#            examples-run/agentd.yaml get pods -o wide` shows the README's
#            states (web Running 1/1 (its readiness probe passed),
#            init-sidecar Running 2/2, job Completed, crash CrashLoopBackOff
#            or Error); checks that the web pod answers on its pod IP (the
#            IP column) and on its hostPort at 127.0.0.1, as the README
#            shows; runs the README's other agentctl commands (logs,
#            status, audit show, audit verify) and keeps the audit log in
#            $FRESH_CACHE/example-audit.log; then it deletes the example
#            manifests, waits for the pods to go, stops the command (the
#            path of Ctrl-C) and checks that the example's cgroups, its
#            bridge agentd-ex0 and portmap's chains are gone (the network
#            namespace is the host's, as for a person who runs the
#            example: whatever a failed run leaves of the example's
#            network is removed by contrib/example-net.sh down --force);
#   check    contrib/install-deps.sh && make check, to its end; its
#            pytest totals are printed.
#
# The root is made once by `debootstrap --variant=minbase bookworm` into
# $FRESH_CACHE/bookworm-minbase (default build-fresh/, ignored by git) and
# never changed.  Each run gets `/` as an overlay over it, as in a
# container (--plain: a plain copy of it on the host's filesystem instead),
# the repository's tracked files (as in the work tree) in /root/agentd, /proc, /sys (rbind, for
# the cgroups), /dev and the host's resolv.conf.  Everything runs in its
# own mount and PID namespaces: the mounts vanish with it, and whatever is
# left running is killed with it.  The output of the command goes to
# $FRESH_CACHE/<mode>.log.  PYTEST_ADDOPTS, if set, is passed in.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${FRESH_CACHE:-$top/build-fresh}
mirror=${FRESH_MIRROR:-http://deb.debian.org/debian}
timeout=${FRESH_TIMEOUT:-2400}
lower=$cache/bookworm-minbase
repo=/root/agentd
path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
cgroup=/agentd-example
bridge=agentd-ex0

say() { echo "fresh-root: $*"; }
die() { echo "fresh-root: $*" >&2; exit 1; }

# -- inside the new namespaces (PID 1): build the root, then run the
# command in it --------------------------------------------------------
if [ "${1:-}" = "--ns" ]; then
	work=$2 layout=$3 cmd=$4
	root=$work/root
	if [ "$layout" = overlay ]; then
		mkdir -p "$work/upper" "$work/work" "$root"
		mount -t overlay overlay -o \
		    "lowerdir=$lower,upperdir=$work/upper,workdir=$work/work" \
		    "$root"
	else
		# runc needs / to be a mount point (it is in any container)
		mount --bind "$root" "$root"
	fi
	mkdir -p "$root$repo"
	(cd "$top" && git ls-files -z | tar --null -T - -cf -) |
	    tar -xf - -C "$root$repo"
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	mount -t proc proc "$root/proc"
	mount --rbind /sys "$root/sys"
	mount --rbind /dev "$root/dev"
	# the fresh root's own sh is PID 1 from here: it reaps the orphans
	# (conmon) and passes SIGTERM on to the command (to the children of
	# its sh -c, which waits for them)
	exec chroot "$root" /usr/bin/env -i PATH="$path" HOME=/root \
	    TERM="${TERM:-dumb}" LANG=C.UTF-8 \
	    ${PYTEST_ADDOPTS:+PYTEST_ADDOPTS="$PYTEST_ADDOPTS"} \
	    /bin/sh -c 'cd "$1" || exit 1
		sh -c "$2" & c=$!
		trap "kill -TERM \$(cat /proc/$c/task/$c/children)" TERM INT
		while :; do
			wait $c && s=0 || s=$?
			kill -0 $c 2>/dev/null || exit $s
		done' init "$repo" "$cmd"
fi

# -- on the host ------------------------------------------------------
layout=overlay
if [ "${1:-}" = "--plain" ]; then
	layout=plain; shift
fi
case ${1:-} in
example) cmd="contrib/run-example.sh" ;;
check)	cmd="contrib/install-deps.sh && make check" ;;
*)	echo "usage: $0 [--plain] example|check" >&2; exit 2 ;;
esac
mode=$1
[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap, mount, chroot)"
t0=$(date +%s)
elapsed() { echo "$(($(date +%s) - t0)) s"; }

mkdir -p "$cache"
if [ ! -d "$lower" ]; then
	command -v debootstrap >/dev/null ||
	    die "debootstrap is missing (contrib/install-deps.sh installs it)"
	say "debootstrap --variant=minbase bookworm $lower (once)"
	rm -rf "$lower.tmp"
	debootstrap --variant=minbase bookworm "$lower.tmp" "$mirror" \
	    >"$cache/debootstrap.log" 2>&1 ||
	    die "debootstrap failed; see $cache/debootstrap.log"
	mv "$lower.tmp" "$lower"
fi
if [ "$mode" = example ]; then
	for d in /sys/fs/cgroup/*$cgroup /sys/fs/cgroup$cgroup; do
		[ -d "$d" ] && die "$d exists: is contrib/run-example.sh" \
		    "running on this host?"
	done
	ip link show "$bridge" >/dev/null 2>&1 && die "the bridge $bridge" \
	    "exists: is contrib/run-example.sh running on this host?"
fi

log=$cache/$mode.log
work=$(mktemp -d "$cache/run.XXXXXX")
# the example's run directory as the host sees it, once the mounts are gone
if [ "$layout" = overlay ]; then
	exrun=$work/upper$repo/examples-run
else
	exrun=$work/root$repo/examples-run
fi
# portmap's chains in the host's nat table before the run
nat_chains() {
	if command -v iptables >/dev/null; then
		iptables -w -t nat -S 2>/dev/null | grep -c '^-N CNI-' || :
	else
		echo none
	fi
}
chains_before=$(nat_chains)
ns=""
p1=""
cleanup() {
	rc=$?
	trap - EXIT INT TERM HUP
	if [ -n "$p1" ] && kill -0 "$p1" 2>/dev/null; then
		say "killing what is left in the namespaces"
		kill -KILL "$p1" 2>/dev/null || :
	fi
	[ -n "$ns" ] && { wait "$ns" 2>/dev/null || :; }
	# the mounts were private to the namespace; make sure before rm -rf
	if grep -q " $work/" /proc/self/mountinfo; then
		umount -R -l "$work/root" || :
	fi
	# a run that failed left the example's network: its pods are dead
	# with the namespace, so remove it as its record says
	if [ -f "$exrun/example-net" ]; then
		say "removing what is left of the example's network"
		"$top/contrib/example-net.sh" down --force "$exrun" || :
	fi
	rm -rf "$work"
	if [ "$mode" = example ]; then
		for d in /sys/fs/cgroup/*$cgroup /sys/fs/cgroup$cgroup; do
			[ -d "$d" ] || continue
			find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || :
		done
	fi
	say "$mode in a fresh $layout root: $( [ $rc -eq 0 ] && echo ok ||
	    echo FAILED), $(elapsed) (output: $log)"
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

if [ "$layout" = plain ]; then
	cp -a "$lower" "$work/root"
fi
say "$cmd in a fresh Debian 12 minbase root ($layout; output: $log)"
unshare -m -p -f --propagation private "$0" --ns "$work" "$layout" "$cmd" \
    >"$log" 2>&1 </dev/null &
ns=$!
# PID 1 of the namespace, as the host sees it
i=0
while [ -z "$p1" ] && [ $i -lt 100 ]; do
	p1=$(cat "/proc/$ns/task/$ns/children" 2>/dev/null | awk '{print $1}')
	[ -n "$p1" ] || sleep 0.1
	i=$((i + 1))
done
[ -n "$p1" ] || die "the namespace did not start; see $log"

fail() {
	tail -n 30 "$log" >&2
	die "$*; the whole output is in $log"
}

if [ "$mode" = check ]; then
	wait "$ns" && rc=0 || rc=$?
	ns=""
	totals=$(grep -E '^=+ .*(passed|failed|error).* =+$' "$log" | tail -n 1)
	say "make check: exit $rc after $(elapsed); ${totals:-no pytest totals}"
	[ $rc -eq 0 ] || fail "make check failed"
	exit 0
fi

# example: run the README's agentctl in the root, from the repository
inroot() {
	nsenter -t "$p1" -m -p -r -w "$@"
}
pods() {
	inroot build/agentctl -f examples-run/agentd.yaml get pods -o wide \
	    2>/dev/null
}
readme_states() {
	printf '%s\n' "$1" | awk '
	    $2 == "web-node1" && $3 == "1/1" && $4 == "Running" { w = 1 }
	    $2 == "job-node1" && $4 == "Completed" { j = 1 }
	    $2 == "crash-node1" && ($4 == "CrashLoopBackOff" ||
	        $4 == "Error") { c = 1 }
	    $2 == "init-sidecar-node1" && $3 == "2/2" && $4 == "Running" {
	        i = 1 }
	    END { exit !(w && j && c && i) }'
}
while :; do
	kill -0 "$ns" 2>/dev/null || fail "contrib/run-example.sh exited"
	[ $(($(date +%s) - t0)) -lt "$timeout" ] ||
	    fail "the pods did not reach the README's states in $timeout s"
	out=$(pods) || out=""
	readme_states "$out" && break
	sleep 2
done
say "the README's states after $(elapsed):"
printf '%s\n' "$out"
# the README's wget of the web pod, on its pod IP and on its hostPort
podip=$(printf '%s\n' "$out" | awk '$2 == "web-node1" { print $(NF - 1) }')
case $podip in
10.89.*.*) ;;
*)	fail "web-node1 has no pod IP in 10.89.0.0/16: \"$podip\"" ;;
esac
for url in "http://$podip:8080/" "http://127.0.0.1:18080/"; do
	say "busybox wget -qO- $url"
	i=0
	# busybox 1.35's wget -T crashes: timeout(1) bounds it instead
	until ans=$(inroot timeout 10 busybox wget -qO- "$url" 2>&1) &&
	    [ "$ans" = "hello from agentd" ]; do
		i=$((i + 1))
		[ $i -lt 10 ] || fail "web-node1 did not answer on $url: $ans"
		sleep 1
	done
	printf '%s\n' "$ans"
done
# the README's other commands, as written
for c in "logs default/web-node1" "status" "audit show --pod default/web-*" \
    "audit verify"; do
	say "build/agentctl -f examples-run/agentd.yaml $c"
	set -f		# the words of $c are the arguments, unglobbed
	inroot build/agentctl -f examples-run/agentd.yaml $c ||
	    fail "agentctl $c failed"
	set +f
done

inroot cat examples-run/audit/audit.log >"$cache/example-audit.log" || :
inroot /bin/sh -c 'rm -f contrib/examples/pods/*.yaml'
i=0
while [ "$(pods | wc -l)" -gt 1 ]; do
	i=$((i + 1))
	[ $i -lt 90 ] || fail "the pods were not deleted in 180 s"
	sleep 2
done
say "the pods are gone after $(elapsed); stopping run-example.sh"
kill -TERM "$p1"
i=0
while kill -0 "$ns" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 300 ] || fail "run-example.sh did not stop in 30 s"
	sleep 0.1
done
wait "$ns" || :
ns=""
grep -q "removed the cgroups $cgroup" "$log" ||
    fail "run-example.sh did not remove its cgroups"
for d in /sys/fs/cgroup/*$cgroup /sys/fs/cgroup$cgroup; do
	[ -d "$d" ] && fail "$d is left behind"
done
grep -q "removed the bridge $bridge" "$log" ||
    fail "run-example.sh did not remove the bridge $bridge"
ip link show "$bridge" >/dev/null 2>&1 && fail "$bridge is left behind"
[ "$(nat_chains)" = "$chains_before" ] ||
    fail "portmap's chains are left behind: $(iptables -t nat -S | grep CNI-)"
say "the bridge $bridge and portmap's chains are gone"
exit 0
