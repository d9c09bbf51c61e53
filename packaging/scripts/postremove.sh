#!/bin/sh
# mmm-keepalived postrm (deb: "remove", "purge", "upgrade", ...) and %postun
# (rpm: 0 = erase, 1 = upgrade). The configuration stays on upgrade and
# removal: dpkg keeps /etc/mmm-keepalived/mmm.conf until purge, rpm keeps a
# changed one as mmm.conf.rpmsave. Purge (deb only) also removes the raft
# state in /var/lib/mmm-keepalived. /run/mmm-keepalived stays until reboot:
# a running keepalived may still read its track_file there.
set -e

case "$1" in
purge)
	rm -rf /var/lib/mmm-keepalived
	;;
esac
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
fi
exit 0
