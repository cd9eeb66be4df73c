#!/bin/sh
# The embedded default: build agentd, build a busybox OCI image from
# Debian's busybox-static, and run agentd in the foreground on the example
# static pods in contrib/examples/pods.  All state stays in examples-run/.
# Another terminal: build/agentctl -f examples-run/agentd.yaml get pods
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
run="$top/examples-run"

contrib/install-deps.sh
make all
mkdir -p "$run/empty" "$run/audit"
chmod 0755 "$run" "$run/empty"
[ -d "$run/busybox-oci" ] || contrib/mkimage-busybox.sh "$run/busybox-oci"

cat > "$run/agentd.yaml" <<EOT
nodeName: $(hostname)
staticPodPath: $top/contrib/examples/pods
rootDir: $run/root
runDir: $run/run
podLogsDir: $run/logs
cgroupRoot: /agentd-example
privsepUser: _agentd
privsepChroot: $run/empty
libexecDir: $top/build
auditLog: $run/audit/audit.log
runtime: auto
EOT

# once agentd answers, import the image; pods wait for it meanwhile
(
	i=0
	while [ $i -lt 100 ] && ! build/agentctl -f "$run/agentd.yaml" status \
	    >/dev/null 2>&1; do
		sleep 0.2; i=$((i + 1))
	done
	build/agentctl -f "$run/agentd.yaml" image import "$run/busybox-oci" \
	    busybox
	echo "try: build/agentctl -f $run/agentd.yaml get pods"
) &
exec build/agentd -f "$run/agentd.yaml"
