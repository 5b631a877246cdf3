package qlearn

import (
	"errors"
	"math"
	"slices"
	"testing"
)

// chain is a 2-state MDP with 2 actions and K = 2 outcomes (padding has
// probability 0). Action 0 ("left") leads to state 0; action 1 ("right")
// from state 0 reaches state 1 with probability 0.8 and slips back to 0
// with 0.2; from state 1 it ends the episode with reward 1.
func chain() MDP {
	return MDP{
		States: 2, Actions: 2, Outcomes: 2,
		//           (0,left)  (0,right)  (1,left)  (1,right)
		Prob:       []float64{1, 0, 0.8, 0.2, 1, 0, 1, 0},
		Next:       []int64{0, 0, 1, 0, 0, 0, 1, 0},
		Reward:     []float64{0, 0, 0, 0, 0, 0, 1, 0},
		Terminated: []uint8{0, 0, 0, 0, 0, 0, 1, 0},
		Start:      []float64{1, 0},
	}
}

// Hand-worked runs on chain with supplied uniforms. Q is [Q00 Q01 Q10 Q11].
var runTests = []struct {
	name     string
	q        []float64
	p        Params
	u        []float64
	wantQ    []float64
	wantRet  []float64
	wantLen  []int64
	wantUsed int
}{
	{
		name: "q-learning", q: make([]float64, 4),
		p: Params{Alpha: 0.5, Gamma: 0.9, Epsilon: 0.5, MaxSteps: 3},
		u: []float64{
			// Episode 1: u0 = 0.3 starts in 0.
			0.3,
			// u1 0.9 greedy; Q0 = [0 0] ties, u2 0.6 -> 2nd tie, right; u3 0.5 < 0.8 -> state 1.
			// target 0 + 0.9*max(Q1 = [0 0]) = 0, so Q01 stays 0.
			0.9, 0.6, 0.5,
			// u1 0.1 < 0.5 explores, u2 0.7 -> floor(1.4) = right; u3 0 -> terminal, r = 1.
			// Q11 = 0 + 0.5*(1 - 0) = 0.5. Return 1, length 2.
			0.1, 0.7, 0.0,
			// Episode 2: u0 = 0.99 starts in 0 (the start row is [1 0]).
			0.99,
			// greedy, ties, u2 0 -> left; stays in 0: Q00 = 0.5*(0 + 0.9*0) = 0.
			0.6, 0.0, 0.3,
			// greedy, ties, u2 0.9 -> right; u3 0.5 -> state 1:
			// Q01 = 0 + 0.5*(0 + 0.9*max(0, 0.5)) = 0.225.
			0.7, 0.9, 0.5,
			// greedy in 1: Q1 = [0 0.5] -> right; terminal: Q11 = 0.5 + 0.5*(1 - 0.5) = 0.75.
			// Return 1, length 3.
			0.8, 0.99, 0.4,
			// Episode 3: starts in 0.
			0.5,
			// explore, u2 0.1 -> left; stays in 0: Q00 = 0 + 0.5*(0.9*0.225) = 0.10125.
			0.2, 0.1, 0.9,
			// greedy: Q0 = [0.10125 0.225] -> right; u3 0.95 > 0.8 slips back to 0:
			// Q01 = 0.225 + 0.5*(0.9*0.225 - 0.225) = 0.21375.
			0.9, 0.5, 0.95,
			// the same again: Q01 = 0.21375 + 0.5*(0.9*0.21375 - 0.21375) = 0.2030625.
			// MaxSteps reached: truncated (the step still bootstrapped). Return 0, length 3.
			0.9, 0.5, 0.95,
		},
		wantQ:   []float64{0.10125, 0.2030625, 0, 0.75},
		wantRet: []float64{1, 1, 0}, wantLen: []int64{2, 3, 3}, wantUsed: 27,
	},
	{
		// alpha 0, epsilon 0 is greedy evaluation: Q does not move.
		name: "greedy evaluation", q: []float64{0.1, 0.2, 0.3, 0.75},
		p: Params{Alpha: 0, Gamma: 0.9, Epsilon: 0, MaxSteps: 10},
		u: []float64{
			0,
			0.0, 0.0, 0.1, // u1 0 is not < epsilon 0: greedy, right; to state 1
			0.0, 0.99, 0.0, // greedy, right; terminal
			0.123, // one uniform left over
		},
		wantQ:   []float64{0.1, 0.2, 0.3, 0.75},
		wantRet: []float64{1}, wantLen: []int64{2}, wantUsed: 7,
	},
	{
		// epsilon 1 always explores; u2 picks the action.
		name: "always explore", q: []float64{5, 0, 0, 0},
		p: Params{Alpha: 1, Gamma: 1, Epsilon: 1, MaxSteps: 1},
		u: []float64{
			0,
			0.99, 0.5, 0.1, // explore despite u1 0.99: floor(0.5*2) = right; to 1.
			// alpha 1, gamma 1: Q01 = 0 + 1*max(Q1) = 0. Truncated after 1 step.
		},
		wantQ:   []float64{5, 0, 0, 0},
		wantRet: []float64{0}, wantLen: []int64{1}, wantUsed: 4,
	},
}

func TestRunEpisodes(t *testing.T) {
	for _, tt := range runTests {
		q := slices.Clone(tt.q)
		n := len(tt.wantRet)
		ret, length := make([]float64, n), make([]int64, n)
		src := &UniformSource{U: tt.u}
		if err := RunEpisodes(chain(), q, tt.p, n, src, ret, length); err != nil {
			t.Fatalf("%s: RunEpisodes: %v", tt.name, err)
		}
		for i := range q {
			if math.Abs(q[i]-tt.wantQ[i]) > 1e-12 {
				t.Errorf("%s: RunEpisodes Q = %v; want %v", tt.name, q, tt.wantQ)
				break
			}
		}
		if !slices.Equal(ret, tt.wantRet) || !slices.Equal(length, tt.wantLen) || src.Used != tt.wantUsed {
			t.Errorf("%s: RunEpisodes returns %v, lengths %v, used %d; want %v, %v, %d",
				tt.name, ret, length, src.Used, tt.wantRet, tt.wantLen, tt.wantUsed)
		}
	}
}

func TestSample(t *testing.T) {
	tests := []struct {
		probs []float64
		u     float64
		want  int
	}{
		{[]float64{0.5, 0.5, 0}, 0, 0},
		{[]float64{0.5, 0.5, 0}, 0.5, 1},               // cumulative 0.5 is not > 0.5
		{[]float64{0, 1}, 0, 1},                        // a zero-probability outcome is never drawn
		{[]float64{0.3, 0.7 - 1e-7, 0}, 0.99999995, 1}, // the sum stays below u: last positive
		{[]float64{0.2, 0.2, 0.2, 0.2, 0.2}, 0.999999999, 4},
	}
	for _, tt := range tests {
		if got := sample(tt.probs, tt.u); got != tt.want {
			t.Errorf("sample(%v, %v) = %d; want %d", tt.probs, tt.u, got, tt.want)
		}
	}
}

func TestChooseAction(t *testing.T) {
	almost1 := math.Nextafter(1, 0)
	tests := []struct {
		row         []float64
		eps, u1, u2 float64
		want        int
	}{
		{[]float64{1, 3, 3, 2}, 0, 0, 0.49, 1}, // 2 ties: floor(0.98) = 0 -> action 1
		{[]float64{1, 3, 3, 2}, 0, 0, 0.5, 2},  // floor(1.0) = 1 -> action 2
		{[]float64{1, 3, 3, 2}, 0, 0, almost1, 2},
		{[]float64{7, 7, 7}, 0.1, 0.1, almost1, 2}, // u1 = epsilon: greedy
		{[]float64{0, 9, 0}, 0.1, 0.05, 0, 0},      // explore: floor(0*3) = 0
		{[]float64{0, 9, 0}, 1, almost1, almost1, 2},
		{[]float64{-0.0, 0.0}, 0, 0, 0.5, 1}, // -0 == +0: a tie
	}
	for _, tt := range tests {
		if got := chooseAction(tt.row, tt.eps, tt.u1, tt.u2); got != tt.want {
			t.Errorf("chooseAction(%v, %v, %v, %v) = %d; want %d", tt.row, tt.eps, tt.u1, tt.u2, got, tt.want)
		}
	}
}

// One malformed argument per case; every status code RunEpisodes can
// return appears at least once.
func TestRunEpisodesErrors(t *testing.T) {
	huge := math.MaxFloat64
	tests := []struct {
		name string
		edit func(m *MDP, q *[]float64, p *Params, episodes *int, src *Source)
		want error
	}{
		{"states 0", func(m *MDP, q *[]float64, p *Params, e *int, s *Source) { m.States = 0 }, ErrMDPShape},
		{"outcomes 0", func(m *MDP, q *[]float64, p *Params, e *int, s *Source) { m.Outcomes = 0 }, ErrMDPShape},
		{"short prob", func(m *MDP, q *[]float64, p *Params, e *int, s *Source) { m.Prob = m.Prob[:7] }, ErrMDPShape},
		{"short start", func(m *MDP, q *[]float64, p *Params, e *int, s *Source) { m.Start = m.Start[:1] }, ErrMDPShape},
		{"short q", func(m *MDP, q *[]float64, p *Params, e *int, s *Source) { *q = (*q)[:3] }, ErrMDPShape},
		{"sizes overflow", func(m *MDP, q *[]float64, p *Params, e *int, s *Source) { m.States, m.Actions = 1<<32, 1<<32 }, ErrMDPShape},
		{"prob > 1", func(m *MDP, q *[]float64, p *Params, e *int, s *Source) { m.Prob[0] = 1.5 }, ErrProb},
		{"prob NaN", func(m *MDP, q *[]float64, p *Params, e *int, s *Source) { m.Prob[1] = math.NaN() }, ErrProb},
		{"row sums to 0.9", func(m *MDP, q *[]float64, p *Params, e *int, s *Source) { m.Prob[3] = 0.1 }, ErrProb},
		{"start negative", func(m *MDP, q *[]float64, p *Params, e *int, s *Source) { m.Start = []float64{1.5, -0.5} }, ErrProb},
		{"start sums to 0.5", func(m *MDP, q *[]float64, p *Params, e *int, s *Source) { m.Start[0] = 0.5 }, ErrProb},
		{"next = nS", func(m *MDP, q *[]float64, p *Params, e *int, s *Source) { m.Next[5] = 2 }, ErrNextState},
		{"next < 0", func(m *MDP, q *[]float64, p *Params, e *int, s *Source) { m.Next[1] = -1 }, ErrNextState},
		{"terminated 2", func(m *MDP, q *[]float64, p *Params, e *int, s *Source) { m.Terminated[6] = 2 }, ErrTerminated},
		{"reward Inf", func(m *MDP, q *[]float64, p *Params, e *int, s *Source) { m.Reward[2] = math.Inf(1) }, ErrNonFinite},
		{"q NaN", func(m *MDP, q *[]float64, p *Params, e *int, s *Source) { (*q)[3] = math.NaN() }, ErrNonFinite},
		{"alpha", func(m *MDP, q *[]float64, p *Params, e *int, s *Source) { p.Alpha = 1.5 }, ErrAlpha},
		{"gamma", func(m *MDP, q *[]float64, p *Params, e *int, s *Source) { p.Gamma = math.NaN() }, ErrGamma},
		{"epsilon", func(m *MDP, q *[]float64, p *Params, e *int, s *Source) { p.Epsilon = -0.1 }, ErrEpsilon},
		{"epsilon NaN", func(m *MDP, q *[]float64, p *Params, e *int, s *Source) { p.Epsilon = math.NaN() }, ErrEpsilon},
		{"max steps 0", func(m *MDP, q *[]float64, p *Params, e *int, s *Source) { p.MaxSteps = 0 }, ErrSteps},
		{"episodes < 0", func(m *MDP, q *[]float64, p *Params, e *int, s *Source) { *e = -1 }, ErrSteps},
		{"episodes != len(returns)", func(m *MDP, q *[]float64, p *Params, e *int, s *Source) { *e = 1 }, ErrLength},
		{"no source", func(m *MDP, q *[]float64, p *Params, e *int, s *Source) { *s = nil }, ErrNilPointer},
		{"uniforms run out", func(m *MDP, q *[]float64, p *Params, e *int, s *Source) { *s = &UniformSource{U: []float64{0, 0}} }, ErrUniforms},
		{"uniform 1", func(m *MDP, q *[]float64, p *Params, e *int, s *Source) {
			*s = &UniformSource{U: []float64{1, 0, 0, 0}}
		}, ErrUniforms},
		{"uniform NaN", func(m *MDP, q *[]float64, p *Params, e *int, s *Source) {
			*s = &UniformSource{U: []float64{0, math.NaN(), 0, 0}}
		}, ErrUniforms},
		{"Q overflows", func(m *MDP, q *[]float64, p *Params, e *int, s *Source) {
			// Left in state 0 loops with reward MaxFloat64: after one step Q00 = MaxFloat64,
			// and the next target MaxFloat64 + 1*MaxFloat64 is Inf.
			m.Reward[0], p.Alpha, p.Gamma, p.Epsilon = huge, 1, 1, 0
			(*q)[1] = -1 // make left the greedy action
		}, ErrOverflow},
	}
	for _, tt := range tests {
		m, q := chain(), make([]float64, 4)
		p, episodes := Params{Alpha: 0.5, Gamma: 0.9, Epsilon: 0.1, MaxSteps: 5}, 2
		var src Source = NewPCGSource(1)
		tt.edit(&m, &q, &p, &episodes, &src)
		err := RunEpisodes(m, q, p, episodes, src, make([]float64, 2), make([]int64, 2))
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: RunEpisodes error = %v; want %v", tt.name, err, tt.want)
		}
	}
}

func TestSize(t *testing.T) {
	tests := []struct {
		dims []int64
		want int
		ok   bool
	}{
		{[]int64{64, 4, 3}, 768, true},
		{[]int64{}, 1, true},
		{[]int64{0, 1 << 62}, 0, true},
		{[]int64{-1, 2}, 0, false},
		{[]int64{1 << 31, 1 << 31}, 0, false}, // 2^62 entries: 2^65 bytes
		{[]int64{1 << 32, 1 << 32, 1}, 0, false},
		{[]int64{math.MaxInt64 / 8}, math.MaxInt64 / 8, true},
		{[]int64{math.MaxInt64/8 + 1}, 0, false},
	}
	for _, tt := range tests {
		if got, ok := Size(tt.dims...); got != tt.want || ok != tt.ok {
			t.Errorf("Size(%v) = %d, %v; want %d, %v", tt.dims, got, ok, tt.want, tt.ok)
		}
	}
}
