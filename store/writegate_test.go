package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// The gate lets writers through one at a time and opens again after a
// command that failed, whose context ended while it waited, or that wrote
// nothing: a gate left shut would stop every write of the server.
func TestWriteGateOpensAfterEveryOutcome(t *testing.T) {
	s := MustOpenStore(t)
	col := s.DB().Collection("gate")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := col.InsertOne(ctx, bson.M{"_id": "a"}); err != nil {
		t.Fatal(err)
	}
	// A duplicate key (an answer with write errors) and a refused command.
	if _, err := col.InsertOne(ctx, bson.M{"_id": "a"}); err == nil {
		t.Fatal("duplicate insert accepted")
	}
	if _, err := s.DB().Collection("bad$name").InsertOne(ctx, bson.M{"_id": 1}); err == nil {
		t.Fatal("insert into an invalid collection accepted")
	}
	// A command whose context has already ended.
	done, stop := context.WithCancel(ctx)
	stop()
	col.InsertOne(done, bson.M{"_id": "late"})
	// Writers at once, each answered.
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := col.InsertOne(ctx, bson.M{"_id": fmt.Sprint(i)})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n, err := col.CountDocuments(ctx, bson.M{}); err != nil || n != 41 {
		t.Fatalf("%d documents, %v; want 41", n, err)
	}
}
