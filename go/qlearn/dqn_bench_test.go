package qlearn

import (
	"math/rand/v2"
	"testing"
)

func BenchmarkDQNTargets1e5x4(b *testing.B) {
	const n, actions = 100_000, 4
	rng := rand.New(rand.NewPCG(3, 4))
	qbar, r, out, term := make([]float64, n), make([]float64, n), make([]float64, n), make([]byte, n)
	next, online := make([]float64, n*actions), make([]float64, n*actions)
	for i := range n {
		qbar[i], r[i] = rng.NormFloat64(), rng.NormFloat64()
		if rng.IntN(10) == 0 {
			term[i] = 1
		}
	}
	for i := range next {
		next[i], online[i] = rng.NormFloat64(), rng.NormFloat64()
	}
	for _, double := range []bool{false, true} {
		name := map[bool]string{false: "dqn", true: "double"}[double]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(n * (3*8 + 1 + 2*actions*8))
			for b.Loop() {
				if err := DQNTargets(out, qbar, next, online, actions, r, term, 0.5, 0.99, double); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
