// Package configtest holds the lab topology in MySQL-MMM's configuration
// format, for the tests of every package that parses a configuration.
package configtest

// Topology is the lab's hosts and roles (docs/lab.md): db1 and db2
// masters and peers, db3 a replica, the writer role 198.18.0.100 on the
// masters, three reader IPs balanced over all three. Tests put
// active_master_role, a <host default> section and their own sections
// around it.
const Topology = `<host db1>
    ip 198.18.0.11
    mode master
    peer db2
</host>
<host db2>
    ip 198.18.0.12
    mode master
    peer db1
</host>
<host db3>
    ip 198.18.0.13
    mode slave
</host>
<role writer>
    hosts db1, db2
    ips 198.18.0.100
    mode exclusive
</role>
<role reader>
    hosts db1, db2, db3
    ips 198.18.0.101, 198.18.0.102, 198.18.0.103
    mode balanced
</role>
`
