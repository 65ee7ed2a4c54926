package main

import (
	"runtime/metrics"
	"time"
)

// liveHeapMetric is the runtime metric of the live heap, in bytes.
const liveHeapMetric = "/gc/heap/live:bytes"

// followLiveHeap calls apply with the live heap now and then every interval,
// from a goroutine of its own, until the returned stop is called; stop
// returns once that goroutine has finished.
func followLiveHeap(every time.Duration, apply func(live uint64)) (stop func()) {
	sample := []metrics.Sample{{Name: liveHeapMetric}}
	read := func() {
		metrics.Read(sample)
		var live uint64
		if sample[0].Value.Kind() == metrics.KindUint64 {
			live = sample[0].Value.Uint64()
		}
		apply(live)
	}
	read()
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				read()
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}
