#!/bin/sh
# mkimage-busybox.sh OUTDIR [TAG]
#
# Builds a small OCI image layout (tag "latest" unless TAG is given) from
# the host's statically linked busybox (Debian: busybox-static) with umoci,
# entirely offline: the image the unit and system tests run, and a handy
# smoke-test image for `agentctl image import`.
#
# Idempotent: an OUTDIR that already holds the tag is left alone; a half
# built one (left by an interrupted run) is rebuilt.  The layout is built
# in OUTDIR.tmp and renamed into place, so OUTDIR is either complete or
# absent.
set -eu

usage() { echo "usage: $0 OUTDIR [TAG]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
out=$1
tag=${2:-latest}
busybox=${BUSYBOX:-/bin/busybox}
image_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

case $out in
*:*) echo "$0: OUTDIR must not contain ':' (umoci's path:tag syntax)" >&2
     exit 2 ;;
esac
for tool in umoci; do
	command -v "$tool" >/dev/null 2>&1 ||
	    { echo "$0: $tool not found in PATH" >&2; exit 1; }
done
[ -x "$busybox" ] || { echo "$0: $busybox not found (apt-get install busybox-static)" >&2; exit 1; }
# a dynamically linked busybox would need the host's libc in the image
if ! "$busybox" --list >/dev/null 2>&1; then
	echo "$0: $busybox does not run" >&2; exit 1
fi
if command -v file >/dev/null 2>&1 &&
    ! file -L "$busybox" | grep -q 'statically linked'; then
	echo "$0: $busybox is not statically linked (use busybox-static)" >&2
	exit 1
fi

if [ -e "$out" ]; then
	if [ -f "$out/oci-layout" ] && umoci stat --image "$out:$tag" >/dev/null 2>&1; then
		exit 0
	fi
	if [ -f "$out/oci-layout" ] || [ -z "$(ls -A "$out")" ]; then
		rm -rf "$out"
	else
		echo "$0: $out exists and is not an OCI image layout" >&2
		exit 1
	fi
fi

tmp="$out.tmp"
work=$(mktemp -d "${TMPDIR:-/tmp}/mkimage-busybox.XXXXXX")
trap 'rm -rf "$work" "$tmp"' EXIT INT TERM
rm -rf "$tmp"

umoci init --layout "$tmp"
umoci new --image "$tmp:$tag"
umoci unpack --image "$tmp:$tag" "$work/bundle"
root="$work/bundle/rootfs"

mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" \
    "$root/etc" "$root/root" "$root/home" "$root/var" "$root/proc" \
    "$root/sys" "$root/dev"
mkdir -m 1777 -p "$root/tmp"
cp "$busybox" "$root/bin/busybox"
chmod 0755 "$root/bin/busybox"
# one symlink per applet, at the path busybox itself would install it
"$busybox" --list-full | while IFS= read -r applet; do
	case $applet in
	""|/*|*..*) continue ;;
	bin/busybox) continue ;;
	esac
	mkdir -p "$root/$(dirname "$applet")"
	ln -sf /bin/busybox "$root/$applet"
done
[ -e "$root/bin/sh" ] || ln -sf /bin/busybox "$root/bin/sh"

cat >"$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat >"$root/etc/group" <<'GROUP'
root:x:0:
daemon:x:1:
tty:x:5:
www-data:x:33:user
users:x:100:user
user:x:1000:
nogroup:x:65534:
GROUP

umoci repack --image "$tmp:$tag" "$work/bundle"
umoci config --image "$tmp:$tag" --config.cmd sh \
    --config.env "PATH=$image_path" --config.workingdir /
umoci gc --layout "$tmp"
mv "$tmp" "$out"
trap 'rm -rf "$work"' EXIT INT TERM
