// Package vip puts reader VIPs on one network interface and takes them
// off again, the way each coordinator applies its own host's share of the
// committed role assignment (MMM's agent, lib/Agent/Helpers/Network.pm).
//
// A reader VIP is an IPv4 /32 on the configured interface (vip_interface).
// Adding one is three steps, in this order:
//
//  1. Probe (RFC 5227 duplicate address detection): an ARP request for the
//     VIP with sender IP 0.0.0.0, repeated, then a bounded wait. If another
//     MAC answers (or probes for the same IP), the VIP is not added and a
//     *DuplicateError names the IP and that MAC. MMM added blindly and could
//     leave one IP on two hosts.
//  2. netlink RTM_NEWADDR of ip/32.
//  3. Announce: gratuitous ARP, both a request and a reply, sender IP =
//     target IP = the VIP, from the interface's MAC to ff:ff:ff:ff:ff:ff,
//     GarpCount rounds GarpInterval apart (coordinator garp_count and
//     garp_interval). `ip addr add` alone sends no ARP: in the lab a client
//     kept the old MAC for 43-53 s.
//
// Removing is a netlink RTM_DELADDR and nothing else (the next holder
// announces). Only /32 addresses count as VIPs: the host's own address
// (normally a wider prefix) is never removed, and Reconcile touches nothing
// outside the managed set it is given, so the writer VIP stays keepalived's.
//
// All I/O goes through two small seams declared here, Netlink (satisfied by
// *netlink.Handle) and ARPConn (satisfied by *arp.Client): Dial opens the
// real ones in the calling thread's network namespace, New takes any.
package vip
