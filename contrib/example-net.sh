#!/bin/sh
# example-net.sh up|down [--force] RUNDIR
#
# The pod network of contrib/run-example.sh, on a bridge of its own:
#   up    creates the bridge agentd-ex0 with 10.89.N.1/24, N the first
#         number whose /24 no route or address of the host overlaps, and
#         writes RUNDIR/net.d/10-agentd-example.conflist (the example's
#         cniConfDir) for it:
#           bridge      isGateway false: the bridge's address is set here,
#                       so the plugin never turns on the host's ip_forward
#           host-local  10.89.N.0/24, the default route via .1, leases in
#                       RUNDIR/cni-ipam
#           portmap     the pods' hostPorts (the portMappings capability),
#                       on the node's addresses and on 127.0.0.1
#         (agentd itself runs the loopback plugin on each pod's lo).
#   down  once no pod holds an address (no lease in RUNDIR/cni-ipam),
#         removes what `up` made and nothing else: the bridge if it made
#         it, and portmap's top-level iptables chains if they were not
#         there before `up` and no pod's rule is left in them.  With
#         --force the leases do not count (the pods are known to be dead,
#         as after tests/fresh/fresh-root.sh killed its namespace) and the
#         per-pod chains of this network that portmap had no DEL to
#         remove are removed first.
#
# RUNDIR/example-net records what `up` made, one "what name" a line:
# "subnet 10.89.N", "bridge agentd-ex0" if it made the bridge, "chain C"
# for each of portmap's chains that did not exist yet.  A second `up`
# (the example started again while its pods run) keeps the record.
set -eu

BRIDGE=agentd-ex0
NETNAME=agentd-example
PREFIX=10.89
# portmap's chains in the nat table that outlive its DEL
CHAINS="CNI-HOSTPORT-DNAT CNI-HOSTPORT-MASQ CNI-HOSTPORT-SETMARK"

say() { echo "example-net: $*"; }
die() { echo "example-net: $*" >&2; exit 1; }

usage() {
	echo "usage: $0 up|down [--force] RUNDIR" >&2
	exit 2
}

have_bridge() { ip link show "$BRIDGE" >/dev/null 2>&1; }
have_chain() { iptables -w -t nat -S "$1" >/dev/null 2>&1; }

# 10.89.N.0/24 is free when no route lies inside it or contains it (the
# default route aside) and no address of the host is in it
subnet_free() {
	net=$PREFIX.$1.0/24
	[ -z "$(ip -4 route show table all root "$net")" ] &&
	    [ -z "$(ip -4 route show match "$net" | grep -v '^default')" ] &&
	    [ -z "$(ip -4 -o addr show to "$net")" ]
}

pick_subnet() {
	n=0
	while [ $n -le 255 ]; do
		subnet_free $n && { echo $n; return 0; }
		n=$((n + 1))
	done
	return 1
}

write_conflist() {
	mkdir -p "$run/net.d" "$run/cni-ipam"
	chmod 0755 "$run/net.d"
	cat >"$run/net.d/10-$NETNAME.conflist.tmp" <<EOT
{
  "cniVersion": "1.0.0",
  "name": "$NETNAME",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": false,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$PREFIX.$1.0/24",
                      "gateway": "$PREFIX.$1.1" }]],
        "routes": [{ "dst": "0.0.0.0/0" }],
        "dataDir": "$run/cni-ipam"
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOT
	mv "$run/net.d/10-$NETNAME.conflist.tmp" \
	    "$run/net.d/10-$NETNAME.conflist"
}

up() {
	command -v iptables >/dev/null ||
	    die "iptables is missing (contrib/install-deps.sh installs it)"
	if [ -f "$marker" ]; then
		n=$(awk '$1 == "subnet" { split($2, a, "."); print a[3] }' \
		    "$marker")
		[ -n "$n" ] || die "$marker names no subnet"
		if ! have_bridge; then
			subnet_free "$n" || die "$PREFIX.$n.0/24 (of the" \
			    "example's last run) is in use now; remove $marker" \
			    "and the leases in $run/cni-ipam to pick another"
			make_bridge "$n"
			grep -q "^bridge $BRIDGE\$" "$marker" ||
			    echo "bridge $BRIDGE" >>"$marker"
		fi
	else
		have_bridge && die "$BRIDGE exists but $run did not make it" \
		    "(another example running? a failed test's leftover?)"
		n=$(pick_subnet) || die "no free /24 in $PREFIX.0.0/16"
		{
			echo "subnet $PREFIX.$n"
			for c in $CHAINS; do
				have_chain "$c" || echo "chain $c"
			done
		} >"$marker.tmp"
		make_bridge "$n"
		echo "bridge $BRIDGE" >>"$marker.tmp"
		mv "$marker.tmp" "$marker"
	fi
	write_conflist "$n"
	say "pods get $PREFIX.$n.0/24 on the bridge $BRIDGE ($PREFIX.$n.1)"
}

make_bridge() {
	ip link add "$BRIDGE" type bridge
	ip addr add "$PREFIX.$1.1/24" dev "$BRIDGE"
	ip link set "$BRIDGE" up
}

# the lease files of host-local: one per address, named after it
leases() {
	find "$run/cni-ipam" -type f -name '[0-9]*.[0-9]*.[0-9]*.[0-9]*' \
	    2>/dev/null | wc -l
}

# delete, last first, the rules of nat chain $1 whose target is $2 (or,
# with $2 empty, whose comment names this network: portmap's per-pod
# jumps, "dnat name: "agentd-example" id: ..."); print their targets
delete_jumps() {
	iptables -w -t nat -L "$1" -n --line-numbers 2>/dev/null |
	    awk -v t="$2" -v net="name: \"$NETNAME\"" '
		$1 !~ /^[0-9]+$/ { next }
		(t != "" && $2 == t) || (t == "" && index($0, net)) {
		    n[++k] = $1; tg[k] = $2 }
		END { for (; k > 0; k--) print n[k], tg[k] }' |
	    while read -r num target; do
		iptables -w -t nat -D "$1" "$num"
		echo "$target"
	    done
}

drop_chain() {
	iptables -w -t nat -F "$1"
	iptables -w -t nat -X "$1"
}

# portmap's per-pod chains of this network, left by pods that had no DEL
drop_pod_chains() {
	have_chain CNI-HOSTPORT-DNAT || return 0
	for c in $(delete_jumps CNI-HOSTPORT-DNAT ""); do
		case $c in CNI-DN-*) drop_chain "$c" ;; esac
	done
}

# the top-level chains `up` saw absent, once no pod's rule is left in
# CNI-HOSTPORT-DNAT: unhooked from the built-in chains, then removed
drop_chains() {
	if have_chain CNI-HOSTPORT-DNAT &&
	    [ "$(iptables -w -t nat -S CNI-HOSTPORT-DNAT | grep -c '^-A')" \
	    -gt 0 ]; then
		say "CNI-HOSTPORT-DNAT still has rules; portmap's chains stay"
		return 0
	fi
	for c in $(awk '$1 == "chain" { print $2 }' "$marker"); do
		have_chain "$c" || continue
		for b in PREROUTING INPUT OUTPUT POSTROUTING; do
			delete_jumps "$b" "$c" >/dev/null
		done
		drop_chain "$c"
		say "removed the iptables chain $c"
	done
}

down() {
	if [ ! -f "$marker" ]; then
		return 0
	fi
	if [ "$force" -eq 0 ] && [ "$(leases)" -gt 0 ]; then
		say "pods still hold addresses; the bridge $BRIDGE stays"
		return 0
	fi
	if command -v iptables >/dev/null; then
		[ "$force" -eq 1 ] && drop_pod_chains
		drop_chains
	fi
	if grep -q "^bridge $BRIDGE\$" "$marker" && have_bridge; then
		ip link del "$BRIDGE"
		say "removed the bridge $BRIDGE"
	fi
	rm -f "$marker"
}

force=0
[ $# -ge 2 ] || usage
cmd=$1; shift
if [ "$1" = "--force" ]; then
	[ "$cmd" = down ] || usage
	force=1; shift
fi
[ $# -eq 1 ] || usage
run=$1
marker=$run/example-net
case $cmd in
up)	up ;;
down)	down ;;
*)	usage ;;
esac
