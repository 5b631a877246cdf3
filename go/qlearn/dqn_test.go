package qlearn

import (
	"errors"
	"math"
	"testing"
)

// One transition per case, 2 actions. gamma = 0.9 throughout.
var dqnTests = []struct {
	name         string
	qbarSA, r    float64
	next, online []float64 // Q̄(s', ·) and Q(s', ·)
	term         byte
	alpha        float64
	double       bool
	want         float64
}{
	// textbook DQN: r + 0.9*max(1, 3) = 1 + 2.7 = 3.7
	{"alpha 1", 1, 1, []float64{1, 3}, []float64{5, 0}, 0, 1, false, 3.7},
	// Double DQN on the same row: online picks action 0, Q̄ rates it 1: 1 + 0.9*1 = 1.9
	{"double", 1, 1, []float64{1, 3}, []float64{5, 0}, 0, 1, true, 1.9},
	// half way from Q̄(s,a) = 1 to 3.7: 1 + 0.5*2.7 = 2.35
	{"alpha 0.5", 1, 1, []float64{1, 3}, []float64{5, 0}, 0, 0.5, false, 2.35},
	// alpha 0 keeps Q̄(s,a)
	{"alpha 0", 1, 1, []float64{1, 3}, []float64{5, 0}, 0, 0, true, 1},
	// terminated: no bootstrap, target -1; 2 + 0.5*(-1 - 2) = 0.5
	{"terminal", 2, -1, []float64{100, 100}, nil, 1, 0.5, false, 0.5},
	{"terminal alpha 1", 2, -1, []float64{100, 100}, []float64{0, 1}, 1, 1, true, -1},
	// a negative next value still bootstraps: 0 + 0.9*max(-2, -5) = -1.8
	{"negative next", 0, 0, []float64{-2, -5}, nil, 0, 1, false, -1.8},
	// online ties: the first wins, action 0 rated 2: 0.9*2 = 1.8 (DQN would take 7: 6.3)
	{"double ties", 0, 0, []float64{2, 7}, []float64{4, 4}, 0, 1, true, 1.8},
}

func TestDQNTargets(t *testing.T) {
	for _, tt := range dqnTests {
		out := []float64{0}
		err := DQNTargets(out, []float64{tt.qbarSA}, tt.next, tt.online, 2, []float64{tt.r}, []byte{tt.term},
			tt.alpha, 0.9, tt.double)
		if err != nil || math.Abs(out[0]-tt.want) > 1e-12 {
			t.Errorf("%s: DQNTargets(%v, %v, next %v, online %v, term %d, alpha %v, double %v) = %v, %v; want %v",
				tt.name, tt.qbarSA, tt.r, tt.next, tt.online, tt.term, tt.alpha, tt.double, out[0], err, tt.want)
		}
	}
}

func TestDQNTargetsErrors(t *testing.T) {
	one, two := []float64{1}, []float64{1, 2}
	tests := []struct {
		name                    string
		out, qbar, next, online []float64
		actions                 int
		term                    []byte
		alpha, gamma            float64
		double                  bool
		want                    error
	}{
		{"alpha", one, one, two, nil, 2, []byte{0}, 1.5, 0.9, false, ErrAlpha},
		{"gamma", one, one, two, nil, 2, []byte{0}, 1, math.Inf(1), false, ErrGamma},
		{"actions 0", one, one, two, nil, 0, []byte{0}, 1, 0.9, false, ErrActions},
		{"short next", one, one, one, nil, 2, []byte{0}, 1, 0.9, false, ErrLength},
		{"short qbar", two, one, []float64{1, 2, 3, 4}, nil, 2, []byte{0, 0}, 1, 0.9, false, ErrLength},
		{"short terminated", one, one, two, nil, 2, nil, 1, 0.9, false, ErrLength},
		{"double without online", one, one, two, nil, 2, []byte{0}, 1, 0.9, true, ErrLength},
		{"terminated 2", one, one, two, nil, 2, []byte{2}, 1, 0.9, false, ErrTerminated},
		{"NaN next", one, one, []float64{1, math.NaN()}, nil, 2, []byte{1}, 1, 0.9, false, ErrNonFinite},
		{"Inf online", one, one, two, []float64{math.Inf(-1), 0}, 2, []byte{0}, 1, 0.9, true, ErrNonFinite},
		{"overflow", one, []float64{-math.MaxFloat64}, []float64{math.MaxFloat64, 0}, nil, 2, []byte{0}, 1, 1, false, ErrOverflow},
	}
	for _, tt := range tests {
		err := DQNTargets(tt.out, tt.qbar, tt.next, tt.online, tt.actions, one, tt.term, tt.alpha, tt.gamma, tt.double)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: DQNTargets error = %v; want %v", tt.name, err, tt.want)
		}
	}
	// A NaN online value is ignored when double is false: the online matrix is not read.
	if err := DQNTargets(one, one, two, []float64{math.NaN()}, 2, one, []byte{0}, 1, 0.9, false); err != nil {
		t.Errorf("DQNTargets with an unused online matrix: %v", err)
	}
}
