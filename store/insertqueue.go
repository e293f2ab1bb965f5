package store

import (
	"context"
	"sync"

	"go.mongodb.org/mongo-driver/v2/mongo"
)

// insertQueue merges inserts into one collection made while another is
// being sent: they wait, and the first of them then sends them all as
// one command (group commit). Every change to a feature adds its history,
// outside any one village's order; four phones sending an event each made
// four commands of one document each, and the embedded store takes one
// writer at a time (BenchmarkSingleWrites).
type insertQueue struct {
	mu      sync.Mutex
	waiting []*queuedInsert
	sending bool
}

type queuedInsert struct {
	docs []any
	dups []int // indexes in docs of duplicate keys
	err  error
	// wake says true when this insert is to send the queue, false when
	// another sent it and dups and err are set.
	wake chan bool
}

// insert inserts docs into col, unordered, answering the indexes of
// those whose key was taken, as insertManyDups.
func (q *insertQueue) insert(ctx context.Context, col *mongo.Collection, docs []any) ([]int, error) {
	me := &queuedInsert{docs: docs, wake: make(chan bool, 1)}
	q.mu.Lock()
	q.waiting = append(q.waiting, me)
	lead := !q.sending
	q.sending = true
	q.mu.Unlock()
	if !lead && !<-me.wake {
		return me.dups, me.err
	}
	q.mu.Lock()
	batch := q.waiting
	q.waiting = nil
	q.mu.Unlock()

	var all []any
	for _, b := range batch {
		all = append(all, b.docs...)
	}
	// The command is the other waiters' too: it goes on if this caller's
	// request ends (the client's timeout still bounds it).
	dups, err := insertManyDups(context.WithoutCancel(ctx), col, all)
	from := 0
	for _, b := range batch {
		b.err = err
		for _, d := range dups {
			if d >= from && d < from+len(b.docs) {
				b.dups = append(b.dups, d-from)
			}
		}
		from += len(b.docs)
		if b != me {
			b.wake <- false
		}
	}

	// The first insert that came meanwhile sends the next command.
	q.mu.Lock()
	if len(q.waiting) > 0 {
		q.waiting[0].wake <- true
	} else {
		q.sending = false
	}
	q.mu.Unlock()
	return me.dups, me.err
}
