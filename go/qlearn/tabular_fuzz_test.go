package qlearn

import (
	"errors"
	"math"
	"slices"
	"testing"
)

// run is one RunEpisodes call's outputs.
type run struct {
	q       []float64
	returns []float64
	lengths []int64
	err     error
}

func runOnce(m MDP, q []float64, p Params, episodes int, src Source) run {
	r := run{slices.Clone(q), make([]float64, episodes), make([]int64, episodes), nil}
	r.err = RunEpisodes(m, r.q, p, episodes, src, r.returns, r.lengths)
	return r
}

func (r run) equal(o run) bool {
	return slices.Equal(r.q, o.q) && slices.Equal(r.returns, o.returns) && slices.Equal(r.lengths, o.lengths)
}

// runChunks runs episodes in chunks, saving the generator to a state buffer
// and loading it again between calls, as the C caller does.
func runChunks(m MDP, q []float64, p Params, seed uint64, chunks ...int) (run, error) {
	state := make([]uint64, StateWords)
	NewPCGSource(seed).Save(state)
	all := run{q: slices.Clone(q)}
	for _, n := range chunks {
		src, err := LoadPCGSource(state)
		if err != nil {
			return all, err
		}
		r := runOnce(m, all.q, p, n, src)
		if r.err != nil {
			return all, r.err
		}
		src.Save(state)
		all.q, all.returns, all.lengths = r.q, append(all.returns, r.returns...), append(all.lengths, r.lengths...)
	}
	return all, nil
}

func TestRunEpisodesChunks(t *testing.T) {
	m := randomMDP(64, 4, 3, 5)
	q := make([]float64, 64*4)
	p := Params{Alpha: 0.1, Gamma: 0.95, Epsilon: 0.2, MaxSteps: 100}
	one, err1 := runChunks(m, q, p, 9, 10)
	two, err2 := runChunks(m, q, p, 9, 5, 5)
	if err1 != nil || err2 != nil || !one.equal(two) {
		t.Errorf("10 episodes = %v (%v); 5 + 5 episodes = %v (%v)", one.returns, err1, two.returns, err2)
	}
}

// fuzzMDP builds a valid MDP of the given sizes from arbitrary bytes.
func fuzzMDP(nS, nA, K int, data []byte) (MDP, []float64) {
	b := func(i int) byte {
		if len(data) == 0 {
			return 0
		}
		return data[i%len(data)]
	}
	n := nS * nA * K
	m := MDP{States: nS, Actions: nA, Outcomes: K, Prob: make([]float64, n), Next: make([]int64, n),
		Reward: make([]float64, n), Terminated: make([]uint8, n), Start: make([]float64, nS)}
	for i := range n {
		m.Prob[i] = float64(b(4*i) % 4) // weights, normalized below; 0 is padding
		m.Next[i] = int64(b(4*i+1)) % int64(nS)
		m.Reward[i] = float64(int8(b(4*i+2))) / 4
		if b(4*i+3)%4 == 0 {
			m.Terminated[i] = 1
		}
	}
	for i := range nS {
		m.Start[i] = float64(b(4*n+i) % 3)
	}
	for row := range nS * nA {
		normalize(m.Prob[row*K : (row+1)*K])
	}
	normalize(m.Start)
	return m, make([]float64, nS*nA)
}

func normalize(w []float64) {
	if len(w) == 0 {
		return
	}
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	if sum == 0 {
		w[0], sum = 1, 1
	}
	for i := range w {
		w[i] /= sum
	}
}

// spoil breaks one entry of a valid MDP and returns the error it should
// cause, or nil when flaw leaves it valid.
func spoil(m *MDP, q []float64, flaw uint16) error {
	n := len(m.Prob)
	if n == 0 {
		return nil
	}
	i := int(flaw>>4) % n
	switch flaw % 16 {
	case 0:
		m.Prob[i] = -0.5
		return ErrProb
	case 1:
		m.Prob[i] = math.NaN()
		return ErrProb
	case 2:
		m.Next[i] = int64(m.States)
		return ErrNextState
	case 3:
		m.Next[i] = -1
		return ErrNextState
	case 4:
		m.Terminated[i] = 2
		return ErrTerminated
	case 5:
		m.Reward[i] = math.Inf(-1)
		return ErrNonFinite
	case 6:
		m.Start[i%m.States] += 0.5
		return ErrProb
	case 7:
		q[i%len(q)] = math.NaN()
		return ErrNonFinite
	case 8:
		m.Prob = m.Prob[:n-1]
		return ErrMDPShape
	}
	return nil
}

// FuzzRunEpisodes checks that no input makes RunEpisodes panic, that every
// flaw is refused, and that a valid run is deterministic: the same seed gives
// the same Q, returns and lengths; 5 + 5 episodes equal 10; and replaying
// the generator's numbers through a UniformSource consumes exactly
// episodes + 3*steps of them and gives the same result again.
func FuzzRunEpisodes(f *testing.F) {
	f.Add(uint64(1), uint8(2), uint8(2), uint8(2), 0.5, 0.9, 0.1, int16(20), uint16(15), []byte("chain"))
	f.Add(uint64(2), uint8(5), uint8(3), uint8(3), 1.0, 1.0, 0.0, int16(63), uint16(9), []byte{3, 1, 200, 8, 2, 0, 7, 9})
	f.Add(uint64(3), uint8(4), uint8(2), uint8(1), 0.1, 0.0, 1.0, int16(1), uint16(12), []byte{})
	f.Add(uint64(4), uint8(3), uint8(2), uint8(2), 0.5, 0.9, 0.1, int16(10), uint16(0x31), []byte("flawed"))
	f.Add(uint64(5), uint8(3), uint8(2), uint8(2), 0.5, 0.9, 0.1, int16(10), uint16(0x57), []byte("q nan"))
	f.Add(uint64(6), uint8(0), uint8(2), uint8(2), 0.5, 0.9, 0.1, int16(10), uint16(15), []byte("no states"))
	f.Add(uint64(7), uint8(3), uint8(2), uint8(2), math.NaN(), 2.0, -1.0, int16(-3), uint16(15), []byte("bad params"))
	f.Fuzz(func(t *testing.T, seed uint64, nS, nA, K uint8, alpha, gamma, epsilon float64,
		maxSteps int16, flaw uint16, table []byte) {
		m, q := fuzzMDP(int(nS%6), int(nA%4), int(K%4), table)
		wantErr := spoil(&m, q, flaw)
		p := Params{Alpha: alpha, Gamma: gamma, Epsilon: epsilon, MaxSteps: int(maxSteps % 64)}
		const episodes = 10
		got := runOnce(m, q, p, episodes, NewPCGSource(seed))

		argsOK := CheckParams(alpha, gamma) == nil && epsilon >= 0 && epsilon <= 1 && p.MaxSteps >= 1 &&
			m.States >= 1 && m.Actions >= 1 && m.Outcomes >= 1
		switch {
		case argsOK && wantErr != nil && !errors.Is(got.err, wantErr):
			t.Fatalf("RunEpisodes error = %v; want %v", got.err, wantErr)
		case (argsOK && wantErr == nil) != (got.err == nil):
			t.Fatalf("RunEpisodes error = %v on arguments valid: %v", got.err, argsOK && wantErr == nil)
		case Code(got.err) == CodePanic:
			t.Fatalf("RunEpisodes error %v has no status code", got.err)
		case got.err != nil:
			return
		}

		if again := runOnce(m, q, p, episodes, NewPCGSource(seed)); !again.equal(got) {
			t.Fatalf("same seed, different runs: %v then %v", got.returns, again.returns)
		}
		chunked, err := runChunks(m, q, p, seed, 5, 5)
		if err != nil || !chunked.equal(got) {
			t.Fatalf("5 + 5 episodes = %v (%v); 10 episodes = %v", chunked.returns, err, got.returns)
		}

		u := make([]float64, episodes*(1+3*p.MaxSteps)) // the most a run can need
		NewPCGSource(seed).Fill(u)
		replay := &UniformSource{U: u}
		if r := runOnce(m, q, p, episodes, replay); r.err != nil || !r.equal(got) {
			t.Fatalf("replayed uniforms: %v (%v); want %v", r.returns, r.err, got.returns)
		}
		steps := 0
		for _, n := range got.lengths {
			if n < 1 || n > int64(p.MaxSteps) {
				t.Fatalf("episode length %d outside [1, %d]", n, p.MaxSteps)
			}
			steps += int(n)
		}
		if replay.Used != episodes+3*steps {
			t.Fatalf("used %d uniforms; want %d episodes + 3*%d steps", replay.Used, episodes, steps)
		}

		eval := runOnce(m, got.q, Params{Alpha: 0, Gamma: gamma, Epsilon: 0, MaxSteps: p.MaxSteps}, episodes, NewPCGSource(seed))
		if eval.err != nil || !slices.Equal(eval.q, got.q) {
			t.Fatalf("greedy evaluation moved Q: %v -> %v (%v)", got.q, eval.q, eval.err)
		}
	})
}
