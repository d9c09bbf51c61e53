package lab

import (
	"context"
	"errors"
	"fmt"

	"github.com/mmm-keepalived/mmm-keepalived/test/mariadbd"
)

// CheckSemisync reads every db host's semisync and returns an error
// naming each difference from the layout the coordinator keeps with
// writer as the writer: master side enabled and active on the writer
// only; replica side enabled on every other host, and active where its
// IO thread runs. A host whose mysqld does not run is left out.
func (l *Lab) CheckSemisync(ctx context.Context, writer string) error {
	var errs []error
	for _, h := range DBHosts() {
		s := l.servers[h.Name]
		if !s.Running() {
			continue
		}
		if err := checkSemisync(ctx, s, h.Name == writer); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func checkSemisync(ctx context.Context, s *mariadbd.Server, writer bool) error {
	host := s.Name
	r, err := openRoot(s)
	if err != nil {
		return err
	}
	defer r.Close()
	v := map[string]string{}
	for _, q := range []struct{ key, query string }{
		{"master enabled", "SELECT IF(@@rpl_semi_sync_master_enabled, 'ON', 'OFF')"},
		{"replica enabled", "SELECT IF(@@rpl_semi_sync_slave_enabled, 'ON', 'OFF')"},
	} {
		if v[q.key], err = r.queryString(ctx, q.query); err != nil {
			return err
		}
	}
	for key, name := range map[string]string{"master status": "Rpl_semi_sync_master_status", "replica status": "Rpl_semi_sync_slave_status"} {
		if v[key], err = r.globalStatus(ctx, name); err != nil {
			return err
		}
	}
	rs, err := r.slaveStatus(ctx)
	if err != nil {
		return err
	}
	var errs []error
	want := func(key, value string) {
		if v[key] != value {
			errs = append(errs, fmt.Errorf("%s: semisync %s %s, want %s", host, key, v[key], value))
		}
	}
	if writer {
		want("master enabled", "ON")
		want("master status", "ON")
	} else {
		want("master enabled", "OFF")
		want("replica enabled", "ON")
		if rs["Slave_IO_Running"] == "Yes" {
			want("replica status", "ON")
		}
	}
	return errors.Join(errs...)
}
