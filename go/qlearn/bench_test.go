package qlearn

import (
	"math/rand/v2"
	"testing"
)

func batch(n int) (out, q, r, next []float64, term []byte) {
	rng := rand.New(rand.NewPCG(1, 2))
	out, q, r, next, term = make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]byte, n)
	for i := range n {
		q[i], r[i], next[i] = rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()
		if rng.IntN(10) == 0 {
			term[i] = 1
		}
	}
	return
}

func BenchmarkUpdate(b *testing.B) {
	var sink float64
	for b.Loop() {
		sink = Update(sink, 1, 2, false, 0.5, 0.9)
	}
}

func BenchmarkUpdateBatch1e6(b *testing.B) {
	out, q, r, next, term := batch(1_000_000)
	b.SetBytes(int64(len(out)) * (4*8 + 1)) // 4 float64 streams and 1 byte stream
	for b.Loop() {
		if err := UpdateBatch(out, q, r, next, term, 0.5, 0.9); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTDTargets1e5x2(b *testing.B) {
	out, q, r, next, term := batch(100_000)
	nextQ := append(q, next...)
	b.SetBytes(int64(len(out)) * (4*8 + 1))
	for b.Loop() {
		if err := TDTargets(out, nextQ, 2, r, term, 0.9); err != nil {
			b.Fatal(err)
		}
	}
}
