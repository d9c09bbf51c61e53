package checks

import "testing"

// TestNewSharing: the replication checks read through the shared Server,
// the mysql check always gets a fresh one, and nil shared is New.
func TestNewSharing(t *testing.T) {
	cfg := loadTestConfig(t)
	tg, err := TargetOf(cfg.Host("db2"), false)
	if err != nil {
		t.Fatal(err)
	}
	shared := NewPersistentServer(tg.MySQLConfig())
	build := func(name string, s *Server) Check {
		c, err := NewSharing(name, cfg, tg, s)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if c := build("rep_threads", shared).(RepThreads); c.Server != shared {
		t.Error("rep_threads does not share")
	}
	if c := build("rep_backlog", shared).(RepBacklog); c.Server != shared {
		t.Error("rep_backlog does not share")
	}
	if c := build("semisync", shared).(Semisync); c.Server != shared {
		t.Error("semisync does not share")
	}
	if c := build("mysql", shared).(MySQL); c.Server == shared || c.Server.(*Server).persistent {
		t.Error("the mysql check must connect afresh")
	}
	if c := build("rep_threads", nil).(RepThreads); c.Server.(*Server).persistent {
		t.Error("nil shared: a persistent server")
	}
	if _, err := NewSharing("nosuch", cfg, tg, shared); err == nil {
		t.Error("an unknown check was built")
	}
}
