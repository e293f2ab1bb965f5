package store

import (
	"context"
	"sync/atomic"

	"go.mongodb.org/mongo-driver/v2/event"
)

// writeGate lets one write command at a time through to the embedded
// store. SQLite takes one writer at a time, and a writer that finds it
// taken sleeps in SQLite's busy handler, in steps of 1 ms growing to 25 ms
// and more, while writers that come later take it first: with four
// clients creating features one per request, one create in fifty waited
// 35–130 ms (multiples of those steps) for no other reason. Waiting here
// instead is in order and wakes as soon as the writer before is done.
//
// It sits in the driver's command monitor because that is the one place
// every command passes, in the goroutine that sends it: Started runs just
// before the command is written to the connection and Succeeded or Failed
// right after its answer is read, on every path (operation.go in the
// driver). A command whose context ends while it waits goes through
// without the gate, which only costs it SQLite's busy wait.
type writeGate struct {
	turn   chan struct{}
	holder atomic.Int64 // request id of the command holding the gate, 0 if none
	next   *event.CommandMonitor
	// finished hears of every command answered (see walSync).
	finished func(command string)
}

// gated are the commands that wait for the gate: those that are mostly
// SQLite's write. An update is not: FerretDB reads and decodes the
// document, applies the update and encodes it again before its short
// write, and serializing that work cost more than the busy waits it saved
// (BenchmarkSingleWrites, events: p99 14 ms ungated, 30 ms gated).
var gated = map[string]bool{"insert": true, "delete": true,
	"create": true, "createIndexes": true, "drop": true, "dropIndexes": true, "dropDatabase": true, "renameCollection": true}

// isWrite says whether a command changes data: the gated ones and the
// updates.
func isWrite(command string) bool {
	return gated[command] || command == "update" || command == "findAndModify"
}

// newWriteGate makes a gate that calls next's functions after its own,
// and finished (if not nil) with the name of each command answered.
func newWriteGate(next *event.CommandMonitor, finished func(command string)) *writeGate {
	return &writeGate{turn: make(chan struct{}, 1), next: next, finished: finished}
}

func (g *writeGate) monitor() *event.CommandMonitor {
	return &event.CommandMonitor{
		Started: func(ctx context.Context, e *event.CommandStartedEvent) {
			if gated[e.CommandName] {
				select {
				case g.turn <- struct{}{}:
					g.holder.Store(e.RequestID)
				case <-ctx.Done():
				}
			}
			if g.next != nil && g.next.Started != nil {
				g.next.Started(ctx, e)
			}
		},
		Succeeded: func(ctx context.Context, e *event.CommandSucceededEvent) {
			g.done(e.RequestID, e.CommandName)
			if g.next != nil && g.next.Succeeded != nil {
				g.next.Succeeded(ctx, e)
			}
		},
		Failed: func(ctx context.Context, e *event.CommandFailedEvent) {
			g.done(e.RequestID, e.CommandName)
			if g.next != nil && g.next.Failed != nil {
				g.next.Failed(ctx, e)
			}
		},
	}
}

// done opens the gate if the command that finished holds it.
func (g *writeGate) done(requestID int64, command string) {
	if g.holder.CompareAndSwap(requestID, 0) {
		<-g.turn
	}
	if g.finished != nil {
		g.finished(command)
	}
}
