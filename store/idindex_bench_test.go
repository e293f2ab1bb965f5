package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// BenchmarkIDLookup times a find and an update by _id in a collection of
// 5,000 documents on the embedded store, before and after the store's
// index on the expression FerretDB queries _id by (store/idindex.go), and
// prints both. Run by `make bench`.
func BenchmarkIDLookup(b *testing.B) {
	for range b.N {
		s := MustOpenStore(b)
		ctx := context.Background()
		col := s.DB().Collection("bench_ids")
		docs := make([]any, 5000)
		for i := range docs {
			docs[i] = bson.M{"_id": fmt.Sprintf("f%05d", i), "n": i, "pad": fmt.Sprintf("%080d", i)}
		}
		if _, err := col.InsertMany(ctx, docs); err != nil {
			b.Fatal(err)
		}
		run := func() time.Duration {
			const n = 200
			t0 := time.Now()
			for i := range n {
				id := fmt.Sprintf("f%05d", i*23)
				if err := col.FindOne(ctx, bson.M{"_id": id}).Err(); err != nil {
					b.Fatal(err)
				}
				if _, err := col.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"n": -1}}); err != nil {
					b.Fatal(err)
				}
			}
			return time.Since(t0) / n
		}
		before := run()
		if err := s.SweepIDIndexes(ctx); err != nil {
			b.Fatal(err)
		}
		after := run()
		fmt.Printf("id lookup: find+update by _id at 5,000 documents: %v without the expression index, %v with it (%.0fx)\n",
			before.Round(time.Microsecond), after.Round(time.Microsecond), float64(before)/float64(after))
	}
}
