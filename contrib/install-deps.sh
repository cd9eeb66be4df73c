#!/bin/sh
# install-deps.sh [run|all]
#
# Installs what agentd needs on Debian 12, and the privsep user.  "run" is
# what contrib/run-example.sh needs (build and run agentd); "all", the
# default, adds what `make check` uses (clang for ASan and fuzzing, valgrind,
# crun, pytest, man and groff for the man page checks, systemd for the unit
# checks, debootstrap for the fresh-root CI step, openssl for the test API
# server's certificates, and Debian's kubernetes-client when no kubectl is
# on PATH: the API-mode tests drive the test API server with the real
# kubectl, and a newer one installed otherwise is kept).
#
# Idempotent and quiet: apt runs only when a package is missing, one line
# per step is printed, and everything apt says goes to $LOG.
set -eu

LOG=${AGENTD_DEPS_LOG:-/var/log/agentd-install-deps.log}

PKGS_RUN="build-essential pkg-config
libevent-dev libssl-dev libcjson-dev libseccomp-dev libyaml-dev
libhttp-parser-dev zlib1g-dev
runc conmon busybox-static umoci skopeo containernetworking-plugins
iptables iproute2 procps util-linux"
PKGS_ALL="$PKGS_RUN clang libclang-rt-14-dev crun
python3 python3-pytest psmisc valgrind systemd man-db groff-base
debootstrap openssl"

case ${1:-all} in
run)	PKGS=$PKGS_RUN ;;
all)	PKGS=$PKGS_ALL
	command -v kubectl >/dev/null 2>&1 || PKGS="$PKGS kubernetes-client" ;;
*)	echo "usage: $0 [run|all]" >&2; exit 2 ;;
esac

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: run as root (apt-get, useradd)" >&2
	exit 1
fi

# step WHAT COMMAND...: one line on the terminal, the output in $LOG
step() {
	what=$1; shift
	echo "install-deps: $what"
	echo "=== $(date -u +%FT%TZ) $what: $*" >>"$LOG"
	if ! "$@" >>"$LOG" 2>&1 </dev/null; then
		echo "install-deps: $what failed; the last lines of $LOG:" >&2
		tail -n 15 "$LOG" >&2
		echo "install-deps: the whole output is in $LOG" >&2
		exit 1
	fi
}

# one dpkg-query for all: a quick no-op when everything is installed
installed=$(dpkg-query -W -f='${Package} ${Status}\n' $PKGS 2>/dev/null |
    awk '$NF == "installed" { print $1 }')
missing=""
n=0
for p in $PKGS; do
	case " $(echo $installed) " in
	*" $p "*) ;;
	*) missing="$missing $p"; n=$((n + 1)) ;;
	esac
done
if [ -n "$missing" ]; then
	: >>"$LOG"
	# another apt (unattended-upgrades, a second checkout's install)
	# holds the lock for a while: wait for it rather than fail
	lock="-o DPkg::Lock::Timeout=600"
	step "apt-get update" apt-get $lock update
	step "installing $n packages (a few minutes on a fresh system)" \
	    env DEBIAN_FRONTEND=noninteractive apt-get install -y $lock \
	    -o Dpkg::Use-Pty=0 --no-install-recommends $missing
fi

# the unprivileged users the watcher and the reporter run as (one each,
# so that neither can signal or trace the other)
for u in _agentd _agentd-rep; do
	if ! getent passwd $u >/dev/null; then
		step "creating the privsep user $u" \
		    useradd -r -s /usr/sbin/nologin -d /nonexistent -M $u
	fi
done
