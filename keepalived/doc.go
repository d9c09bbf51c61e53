// Package keepalived connects mmm-keepalived to keepalived: it renders each
// master host's keepalived.conf from the cluster configuration, parses what
// keepalived tells the notify hook (arguments) and the coordinator (the
// vrrp_notify_fifo), and writes the track_file through which the
// coordinator says which host may hold the writer VIP.
//
// Everything here is pure except WriteTrackFile and ReadTrackFile.
//
// The rendered configuration holds one vrrp_instance for the writer role.
// The instance is FAULT (and so releases the VIP) when either
//   - mmm-check fails (vrrp_script, weight 0): the local MySQL is down,
//     decided on the host itself, even with the coordinator dead; or
//   - the track file holds a non-zero value (track_file, weight 0): the
//     coordinator has not assigned the writer to this host.
//
// Both masters start BACKUP with nopreempt, so a priority never moves the
// writer: a negative weight would not fail over under nopreempt (tried in
// the lab), FAULT does.
//
// keepalived behaviours this package relies on (keepalived 2.2.7):
//   - track_file is watched through inotify on its directory (IN_CLOSE_WRITE,
//     IN_MOVED_TO, IN_DELETE), so an atomic rename is seen at once. The
//     directory must exist before keepalived starts, or keepalived drops the
//     track_file and the host is always eligible; a deleted file reads as 0
//     (eligible). See WriteTrackFile.
//   - vrrp_notify_fifo is created by keepalived (mkfifo, unless it exists)
//     and opened read-write and non-blocking: a missing reader never blocks
//     keepalived, events beyond the pipe's buffer (64 KiB) are dropped, and
//     keepalived removes a fifo it created when it stops. The coordinator
//     reads it; no vrrp_notify_fifo_script is configured.
//   - notify scripts get TYPE NAME STATE PRIORITY appended after their own
//     arguments; keepalived may run them concurrently and out of order, the
//     fifo is ordered.
package keepalived
