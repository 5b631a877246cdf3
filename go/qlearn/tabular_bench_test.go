package qlearn

import (
	"math/rand/v2"
	"testing"
)

// randomMDP is an 8x8-FrozenLake-sized MDP (64 states) with random
// transitions: each (s, a) has K outcomes to random states, 1 in 50 of them
// terminal; the episode starts in state 0 and reaching state nS-1 pays 1.
func randomMDP(nS, nA, K int, seed uint64) MDP {
	rng := rand.New(rand.NewPCG(seed, 0))
	n := nS * nA * K
	m := MDP{States: nS, Actions: nA, Outcomes: K, Prob: make([]float64, n), Next: make([]int64, n),
		Reward: make([]float64, n), Terminated: make([]uint8, n), Start: make([]float64, nS)}
	for row := range nS * nA {
		for k := range K {
			i := row*K + k
			m.Prob[i] = 1 / float64(K)
			m.Next[i] = rng.Int64N(int64(nS))
			if m.Next[i] == int64(nS-1) {
				m.Reward[i], m.Terminated[i] = 1, 1
			} else if rng.IntN(50) == 0 {
				m.Terminated[i] = 1
			}
		}
	}
	m.Start[0] = 1
	return m
}

// BenchmarkRunEpisodes8x8 reports the runner's speed in steps per second.
func BenchmarkRunEpisodes8x8(b *testing.B) {
	const episodes = 100
	m := randomMDP(64, 4, 3, 1)
	q := make([]float64, 64*4)
	p := Params{Alpha: 0.1, Gamma: 0.99, Epsilon: 0.1, MaxSteps: 200}
	returns, lengths := make([]float64, episodes), make([]int64, episodes)
	src := NewPCGSource(1)
	steps := 0
	for b.Loop() {
		if err := RunEpisodes(m, q, p, episodes, src, returns, lengths); err != nil {
			b.Fatal(err)
		}
		for _, n := range lengths {
			steps += int(n)
		}
	}
	b.ReportMetric(float64(steps)/b.Elapsed().Seconds(), "steps/s")
}
