#!/bin/sh
# mmm-keepalived postinst (deb: "configure" [OLD-VERSION]) and %post (rpm:
# 1 = install, 2 = upgrade). Starts, restarts and enables nothing: the
# cluster configuration must be written first, and a coordinator restarted
# on every host at once would cost the cluster its raft majority.
set -e

case "$1" in
configure | 1 | 2)
	# keepalived drops a track_file whose directory is missing when it
	# starts: make /run/mmm-keepalived now, not only at the next boot.
	if command -v systemd-tmpfiles >/dev/null 2>&1; then
		systemd-tmpfiles --create mmm-keepalived.conf || true
	fi
	if [ -d /run/systemd/system ]; then
		systemctl daemon-reload || true
		if systemctl is-active --quiet mmm-coordinator.service; then
			echo "mmm-keepalived: mmm-coordinator still runs the previous version;" \
				"restart it one host at a time, the writer's last:" \
				"systemctl restart mmm-coordinator" >&2
		fi
	fi
	;;
esac
exit 0
