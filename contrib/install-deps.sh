#!/bin/sh
# Installs what agentd needs to build, run and test on Debian 12, and the
# privsep user.  Idempotent: apt runs only when a package is missing.
set -eu

PKGS="build-essential clang libclang-rt-14-dev pkg-config
libevent-dev libssl-dev libcjson-dev libseccomp-dev libyaml-dev
runc crun conmon busybox-static umoci skopeo containernetworking-plugins
python3 python3-pytest iproute2 procps psmisc util-linux valgrind
systemd"

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: run as root (apt-get, useradd)" >&2
	exit 1
fi

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
	    missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "install-deps: installing$missing"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi

# the unprivileged users the watcher and the reporter run as (one each,
# so that neither can signal or trace the other)
for u in _agentd _agentd-rep; do
	if ! getent passwd $u >/dev/null; then
		useradd -r -s /usr/sbin/nologin -d /nonexistent -M $u
	fi
done
