#!/bin/sh
# build_deb.sh - builds python3-valet-openstack from a copy of the package
# with dpkg-buildpackage and checks what the .deb holds: the filters, the
# client, and Cinder's entry point. Exit 77 (skipped) without Debian's
# packaging tools.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
# Debian's Python, not one found first on PATH
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
for tool in dpkg-buildpackage dh_python3; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP: $tool is not installed (debhelper, dh-python)"
		exit 77
	fi
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$here" "$work/valet-openstack"
find "$work" -name __pycache__ -prune -exec rm -rf {} +
(cd "$work/valet-openstack" && dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) || {
	tail -30 "$work/build.log"
	exit 1
}
deb=$(ls "$work"/python3-valet-openstack_*_all.deb)
dpkg-deb -x "$deb" "$work/root"
site="$work/root/usr/lib/python3/dist-packages"
for f in valet_openstack/client.py valet_openstack/scheduling.py \
	valet_openstack/nova/filter.py valet_openstack/cinder/filter.py; do
	test -f "$site/$f" || { echo "$deb lacks $f"; exit 1; }
done
grep -q '^ValetFilter = valet_openstack.cinder.filter:ValetFilter' \
	"$site"/valet_openstack-*.dist-info/entry_points.txt ||
	{ echo "$deb lacks the cinder.scheduler.filters entry point"; exit 1; }
echo "built $(basename "$deb")"
