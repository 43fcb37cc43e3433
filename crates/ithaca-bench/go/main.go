// Command ithaca-bench-go is the Go twin of crates/ithaca-bench/benches/report.rs: the same
// workloads with the same definitions (see benches/report/workloads.md), standard library
// only. It prints one JSON object per line on stdout:
//
//	{"meta":"ithaca-bench-go","go":"go1.19.8","gomaxprocs":2,"scale":1,"rounds":5}
//	{"id":"chan/goroutine/spsc/0","value":123.4,"unit":"ns/msg"}
//	{"id":"chan/goroutine/spsc/unbounded","na":"Go channels have no unbounded capacity"}
//
// Environment: BENCH_SCALE (sizes, default 1), BENCH_ROUNDS (default 5), BENCH_FILTER (row id
// substring), GOMAXPROCS (workers). scripts/bench.sh builds and runs it.
package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const t = 4 // parties per side in the channel workloads

var scale = 1.0

func size(n, min int) int {
	v := int(math.Round(float64(n) * scale))
	if v < min {
		return min
	}
	return v
}

func sizeMultiple(n, m int) int {
	v := size(n, m) / m * m
	if v < m {
		return m
	}
	return v
}

func sizePow10(n int) int {
	x := math.Max(float64(n)*scale, 10)
	return int(math.Pow(10, math.Round(math.Log10(x))))
}

func median(v []float64) float64 {
	sort.Float64s(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

func perOp(d time.Duration, ops int) float64 { return float64(d.Nanoseconds()) / float64(ops) }

// ------------------------------------------------------------------------------ channels

func newChan(c int) chan int { return make(chan int, c) }

func chanRun(workload string, c, n int) float64 {
	var wg sync.WaitGroup
	run := func(f func()) {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	ops := n
	start := time.Now()
	switch workload {
	case "spsc", "mpsc", "mpmc":
		ch := newChan(c)
		senders, receivers := 1, 1
		if workload == "mpsc" {
			senders = t
		} else if workload == "mpmc" {
			senders, receivers = t, t
		}
		for s := 0; s < senders; s++ {
			run(func() {
				for i := 0; i < n/senders; i++ {
					ch <- i
				}
			})
		}
		for r := 0; r < receivers; r++ {
			run(func() {
				for i := 0; i < n/receivers; i++ {
					<-ch
				}
			})
		}
	case "select_rx":
		chs := [t]chan int{newChan(c), newChan(c), newChan(c), newChan(c)}
		for _, ch := range chs {
			ch := ch
			run(func() {
				for i := 0; i < n/t; i++ {
					ch <- i
				}
			})
		}
		run(func() {
			for i := 0; i < n; i++ {
				select {
				case <-chs[0]:
				case <-chs[1]:
				case <-chs[2]:
				case <-chs[3]:
				}
			}
		})
	case "select_both":
		chs := [t]chan int{newChan(c), newChan(c), newChan(c), newChan(c)}
		for p := 0; p < t; p++ {
			run(func() {
				for i := 0; i < n/t; i++ {
					select {
					case chs[0] <- i:
					case chs[1] <- i:
					case chs[2] <- i:
					case chs[3] <- i:
					}
				}
			})
			run(func() {
				for i := 0; i < n/t; i++ {
					select {
					case <-chs[0]:
					case <-chs[1]:
					case <-chs[2]:
					case <-chs[3]:
					}
				}
			})
		}
	case "pingpong":
		ops = n / 2
		c1, c2 := make(chan int), make(chan int)
		run(func() {
			for i := 0; i < ops; i++ {
				c1 <- i
				if <-c2 != i {
					panic("pingpong: wrong value")
				}
			}
		})
		run(func() {
			for i := 0; i < ops; i++ {
				c2 <- <-c1
			}
		})
	default:
		panic("unknown workload " + workload)
	}
	wg.Wait()
	return perOp(time.Since(start), ops)
}

// ---------------------------------------------------------------------------- goroutines

func spawnJoin(n int) float64 {
	start := time.Now()
	res := make([]int, n)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func(i int) { res[i] = i; wg.Done() }(i)
	}
	wg.Wait()
	sum := 0
	for _, v := range res {
		sum += v
	}
	d := time.Since(start)
	if sum != n*(n-1)/2 {
		panic("spawn: wrong sum")
	}
	return perOp(d, n)
}

func skynet(c chan int, num, size int) {
	if size == 1 {
		c <- num
		return
	}
	rc := make(chan int)
	sub := size / 10
	for i := 0; i < 10; i++ {
		go skynet(rc, num+i*sub, sub)
	}
	sum := 0
	for i := 0; i < 10; i++ {
		sum += <-rc
	}
	c <- sum
}

func skynetRun(leaves int) float64 {
	start := time.Now()
	c := make(chan int)
	go skynet(c, 0, leaves)
	sum := <-c
	d := time.Since(start)
	if sum != leaves*(leaves-1)/2 {
		panic("skynet: wrong sum")
	}
	return perOp(d, leaves)
}

func whisper(left, right chan int) { left <- 1 + <-right }

func whispers(n int) float64 {
	start := time.Now()
	leftmost := make(chan int)
	left := leftmost
	for i := 0; i < n; i++ {
		right := make(chan int)
		go whisper(left, right)
		left = right
	}
	go func(c chan int) { c <- 1 }(left)
	v := <-leftmost
	d := time.Since(start)
	if v != n+1 {
		panic("whispers: wrong value")
	}
	return perOp(d, n)
}

func rssBytes() int {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		panic(err)
	}
	f := strings.Fields(string(b))
	pages, err := strconv.Atoi(f[1])
	if err != nil {
		panic(err)
	}
	return pages * os.Getpagesize()
}

// idleChild parks n goroutines, each on its own unbuffered channel, and prints the resident
// bytes per goroutine. Runs in a fresh process (see idleMemory).
func idleChild(n int) {
	var warm sync.WaitGroup
	warm.Add(1000)
	for i := 0; i < 1000; i++ {
		go warm.Done()
	}
	warm.Wait()
	var started int64
	before := rssBytes()
	chans := make([]chan int, n)
	var done sync.WaitGroup
	done.Add(n)
	for i := range chans {
		ch := make(chan int)
		chans[i] = ch
		go func() {
			atomic.AddInt64(&started, 1)
			if _, ok := <-ch; ok {
				panic("idle: a parked goroutine got a value")
			}
			done.Done()
		}()
	}
	for atomic.LoadInt64(&started) < int64(n) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	after := rssBytes()
	for _, ch := range chans {
		close(ch)
	}
	done.Wait()
	fmt.Printf("BENCH_IDLE %f\n", float64(after-before)/float64(n))
}

func idleMemory(n int) float64 {
	exe, err := os.Executable()
	if err != nil {
		panic(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), fmt.Sprintf("BENCH_CHILD=idle:%d", n))
	out, err := cmd.Output()
	if err != nil {
		panic(fmt.Sprintf("idle child: %v", err))
	}
	for _, l := range strings.Split(string(out), "\n") {
		if v := strings.TrimPrefix(l, "BENCH_IDLE "); v != l {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				panic(err)
			}
			return f
		}
	}
	panic("idle child printed no result")
}

// ---------------------------------------------------------------------------------- sync

func mutexRun(n, tasks int) float64 {
	var mu sync.Mutex
	counter := 0
	var wg sync.WaitGroup
	start := time.Now()
	wg.Add(tasks)
	for k := 0; k < tasks; k++ {
		go func() {
			for i := 0; i < n/tasks; i++ {
				mu.Lock()
				counter++
				mu.Unlock()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	d := time.Since(start)
	if counter != n/tasks*tasks {
		panic("mutex: wrong count")
	}
	return perOp(d, n)
}

// semaRun: a buffered channel is the standard library's semaphore.
func semaRun(n, tasks, permits int) float64 {
	sem := make(chan struct{}, permits)
	var wg sync.WaitGroup
	start := time.Now()
	wg.Add(tasks)
	for k := 0; k < tasks; k++ {
		go func() {
			for i := 0; i < n/tasks; i++ {
				sem <- struct{}{}
				<-sem
			}
			wg.Done()
		}()
	}
	wg.Wait()
	d := time.Since(start)
	if len(sem) != 0 {
		panic("semaphore: permits leaked")
	}
	return perOp(d, n)
}

func waitGroupRun(n int) float64 {
	start := time.Now()
	for i := 0; i < n; i++ {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { wg.Done() }()
		wg.Wait()
	}
	return perOp(time.Since(start), n)
}

func contextRun(n int) float64 {
	root, rootCancel := context.WithCancel(context.Background())
	defer rootCancel()
	start := time.Now()
	for i := 0; i < n; i++ {
		ctx, cancel := context.WithCancel(root)
		cancel()
		if ctx.Err() == nil {
			panic("context: not cancelled")
		}
	}
	return perOp(time.Since(start), n)
}

// ---------------------------------------------------------------------------------- main

type row struct {
	id   string
	unit string
	na   string
	run  func() float64
}

func envFloat(name string, def float64) float64 {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 {
		fmt.Fprintf(os.Stderr, "%s=%q is not a positive number\n", name, v)
		os.Exit(2)
	}
	return f
}

func main() {
	scale = envFloat("BENCH_SCALE", 1)
	if spec := os.Getenv("BENCH_CHILD"); spec != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(spec, "idle:"))
		if err != nil {
			panic("BENCH_CHILD: expected idle:<count>")
		}
		idleChild(n)
		return
	}
	rounds := int(envFloat("BENCH_ROUNDS", 5))
	filter := os.Getenv("BENCH_FILTER")

	n := sizeMultiple(200000, 2*t)
	var rows []row
	for _, w := range []string{"spsc", "mpsc", "mpmc", "select_rx", "select_both", "pingpong"} {
		caps := []string{"0", "1", "1000", "unbounded"}
		unit := "ns/msg"
		if w == "pingpong" {
			caps = []string{"0"}
			unit = "ns/round trip"
		}
		for _, c := range caps {
			w, c := w, c
			id := "chan/goroutine/" + w + "/" + c
			if c == "unbounded" {
				rows = append(rows, row{id: id, na: "Go channels have no unbounded capacity"})
				continue
			}
			capN, _ := strconv.Atoi(c)
			rows = append(rows, row{id, unit, "", func() float64 { return chanRun(w, capN, n) }})
		}
	}
	spawnN := size(1000000, 10)
	leaves := sizePow10(1000000)
	whispersN := size(100000, 10)
	trips := size(100000, 10)
	idleN := size(100000, 100)
	ops := sizeMultiple(1000000, 4)
	wgN := size(100000, 10)
	rows = append(rows,
		row{"go/spawn", "ns/goroutine", "", func() float64 { return spawnJoin(spawnN) }},
		row{"go/skynet", "ns/leaf", "", func() float64 { return skynetRun(leaves) }},
		row{"go/whispers", "ns/goroutine", "", func() float64 { return whispers(whispersN) }},
		row{"go/pingpong", "ns/round trip", "", func() float64 { return chanRun("pingpong", 0, 2*trips) }},
		row{"go/idle_memory", "bytes/goroutine", "", func() float64 { return idleMemory(idleN) }},
		row{"sync/mutex", "ns/lock", "", func() float64 { return mutexRun(ops, 1) }},
		row{"sync/mutex_contended", "ns/lock", "", func() float64 { return mutexRun(ops, 4) }},
		row{"sync/semaphore", "ns/acquire", "", func() float64 { return semaRun(ops, 1, 4) }},
		row{"sync/semaphore_contended", "ns/acquire", "", func() float64 { return semaRun(ops, 4, 2) }},
		row{"sync/waitgroup", "ns/round", "", func() float64 { return waitGroupRun(wgN) }},
		row{"sync/context", "ns/child", "", func() float64 { return contextRun(ops) }},
	)

	fmt.Printf("{\"meta\":\"ithaca-bench-go\",\"go\":%q,\"gomaxprocs\":%d,\"scale\":%g,\"rounds\":%d}\n",
		runtime.Version(), runtime.GOMAXPROCS(0), scale, rounds)
	for _, r := range rows {
		if filter != "" && !strings.Contains(r.id, filter) {
			continue
		}
		if r.na != "" {
			fmt.Printf("{\"id\":%q,\"na\":%q}\n", r.id, r.na)
			continue
		}
		samples := make([]float64, 0, rounds)
		for i := 0; i < rounds; i++ {
			samples = append(samples, r.run())
		}
		m := median(samples)
		fmt.Printf("{\"id\":%q,\"value\":%.3f,\"unit\":%q}\n", r.id, m, r.unit)
		fmt.Fprintf(os.Stderr, "go: %s %.1f %s\n", r.id, m, r.unit)
	}
}
