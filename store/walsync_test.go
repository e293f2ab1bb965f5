package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// TestDurableWaitsForLogSync checks the embedded store's durability:
// once Durable returns, a sync of the log has covered every write
// answered before, for one writer and for many at once.
func TestDurableWaitsForLogSync(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	write := func(id string) {
		before, _ := s.LogState()
		if _, _, err := s.ClaimFeatures(ctx, "v", "", []string{id}, []string{"op-" + id}); err != nil {
			t.Error(err)
			return
		}
		written, _ := s.LogState()
		if written <= before {
			t.Errorf("write %s not counted (%d writes before, %d after)", id, before, written)
		}
		if err := s.Durable(); err != nil {
			t.Error(err)
		}
		if _, synced := s.LogState(); synced < written {
			t.Errorf("Durable after write %s returned with %d of %d writes synced", id, synced, written)
		}
	}
	for i := range 10 {
		write(fmt.Sprintf("alone-%d", i))
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				write(fmt.Sprintf("many-%d-%d", g, i))
			}
		}()
	}
	wg.Wait()
}

// TestDurableSaysWhenSyncFails makes the log's syncs fail: Durable must
// say so (the api then answers 500 and the phone sends again), and say
// nothing once syncs succeed again.
func TestDurableSaysWhenSyncFails(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	claim := func(id string) {
		if _, _, err := s.ClaimFeatures(ctx, "v", "", []string{id}, []string{"op-" + id}); err != nil {
			t.Fatal(err)
		}
	}
	claim("first")
	if err := s.Durable(); err != nil {
		t.Fatal(err)
	}
	good := s.LogPath()
	s.SetLogPath("/proc/self/stat") // fsync answers EINVAL
	claim("second")
	if err := s.Durable(); err == nil {
		t.Fatal("Durable answered nil after a failed sync")
	}
	s.SetLogPath(good)
	claim("third")
	if err := s.Durable(); err != nil {
		t.Fatalf("Durable after syncs work again: %v", err)
	}
}
