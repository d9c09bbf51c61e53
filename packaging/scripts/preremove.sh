#!/bin/sh
# mmm-keepalived prerm (deb: "remove", "upgrade", ...) and %preun (rpm:
# 0 = erase, 1 = upgrade). On removal only: stop the coordinator and drop
# its enablement before its binary and unit go. Upgrades touch nothing.
set -e

case "$1" in
remove | 0)
	if [ -d /run/systemd/system ]; then
		systemctl stop mmm-coordinator.service || true
	fi
	if command -v systemctl >/dev/null 2>&1; then
		systemctl --no-reload disable mmm-coordinator.service >/dev/null 2>&1 || true
	fi
	;;
esac
exit 0
