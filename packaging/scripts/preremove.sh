#!/bin/sh
# mmm-keepalived prerm (deb: "remove", "upgrade", ...) and %preun (rpm:
# 0 = erase, 1 = upgrade). On removal only: stop the coordinators and drop
# the default one's enablement before their binary and units go. Upgrades
# touch nothing.
set -e

case "$1" in
remove | 0)
	if [ -d /run/systemd/system ]; then
		systemctl stop mmm-coordinator.service || true
		# The named clusters' (mmm-coordinator@NAME) that run.
		systemctl stop 'mmm-coordinator@*.service' || true
	fi
	if command -v systemctl >/dev/null 2>&1; then
		systemctl --no-reload disable mmm-coordinator.service >/dev/null 2>&1 || true
	fi
	;;
esac
exit 0
