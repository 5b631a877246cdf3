package qlearn

import (
	"errors"
	"math"
	"testing"
)

// One step on chain from state 0 with action right to state 1 (not
// terminal), where Q(1, .) = [0.2 0.6]: each rule's target for Q(0, right),
// with alpha 1 so that Q(0, right) becomes the target. The next action a2 is
// drawn with explore test u1 = 0.9 (greedy at epsilon 0.5) unless said.
var controlTargets = []struct {
	name   string
	rule   Rule
	u      []float64 // start, first action (2), outcome, next action (2), coin
	want   float64
	wantQ2 float64 // Double Q: Q2(0, right) afterwards
}{
	{"q-learning: the best next value", QLearning, []float64{0, 0.9, 0.9, 0.5, 0.9, 0.0, 0.3}, 0.9 * 0.6, 0},
	{"sarsa: the action taken next, explored left", SARSA, []float64{0, 0.9, 0.9, 0.5, 0.1, 0.0, 0.3}, 0.9 * 0.2, 0},
	{"sarsa: the action taken next, greedy right", SARSA, []float64{0, 0.9, 0.9, 0.5, 0.9, 0.0, 0.3}, 0.9 * 0.6, 0},
	{"expected sarsa: the epsilon-greedy mean", ExpectedSARSA, []float64{0, 0.9, 0.9, 0.5, 0.1, 0.0, 0.3},
		0.9 * (0.5*(0.2+0.6)/2 + 0.5*0.6), 0},
	// Double Q: coin < 0.5 updates Q with Q2's value of Q's best action (right: Q2(1, right) = -1).
	{"double q: coin updates Q", DoubleQ, []float64{0, 0.9, 0.9, 0.5, 0.9, 0.0, 0.3}, 0.9 * -1, 0},
	// coin >= 0.5 updates Q2 with Q's value of Q2's best action (left: Q(1, left) = 0.2).
	{"double q: coin updates Q2", DoubleQ, []float64{0, 0.9, 0.9, 0.5, 0.9, 0.0, 0.7}, 0, 0.9 * 0.2},
}

func TestControlTargets(t *testing.T) {
	for _, tc := range controlTargets {
		t.Run(tc.name, func(t *testing.T) {
			q := []float64{0, 0, 0.2, 0.6}
			c := Control{Rule: tc.rule}
			if tc.rule == DoubleQ {
				c.Q2 = []float64{0, 0, 0.5, -1}
			}
			p := Params{Alpha: 1, Gamma: 0.9, Epsilon: 0.5, MaxSteps: 1}
			src := &UniformSource{U: tc.u}
			ret, n := make([]float64, 1), make([]int64, 1)
			if err := RunControl(chain(), q, p, c, 1, src, ret, n); err != nil {
				t.Fatal(err)
			}
			if math.Abs(q[1]-tc.want) > 1e-15 {
				t.Errorf("Q(0, right) = %v; want %v", q[1], tc.want)
			}
			if c.Q2 != nil && math.Abs(c.Q2[1]-tc.wantQ2) > 1e-15 {
				t.Errorf("Q2(0, right) = %v; want %v", c.Q2[1], tc.wantQ2)
			}
			if src.Used != 7 || n[0] != 1 {
				t.Errorf("used %d uniforms, length %d; want 7 (3 per episode + 4 per step), 1", src.Used, n[0])
			}
		})
	}
}

// With Visits and Omega = 1, alpha = 1, the n-th update moves Q by 1/n: Q is
// the plain mean of the targets seen. A one-state bandit: action 0 pays 1 or
// 0 (probability 0.5 each) and ends the episode.
func TestVisitCountsGiveSampleMeans(t *testing.T) {
	m := MDP{States: 1, Actions: 1, Outcomes: 2, Prob: []float64{0.5, 0.5}, Next: []int64{0, 0},
		Reward: []float64{1, 0}, Terminated: []uint8{1, 1}, Start: []float64{1}}
	src := NewPCGSource(3)
	q, visits := []float64{0}, []int64{0}
	ret, n := make([]float64, 1000), make([]int64, 1000)
	c := Control{Rule: QLearning, Visits: visits, Omega: 1}
	if err := RunControl(m, q, Params{Alpha: 1, Gamma: 1, Epsilon: 0, MaxSteps: 1}, c, 1000, src, ret, n); err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, r := range ret {
		sum += r
	}
	if visits[0] != 1000 || math.Abs(q[0]-sum/1000) > 1e-12 {
		t.Errorf("visits %d, Q %v; want 1000 and the mean reward %v", visits[0], q[0], sum/1000)
	}
}

// Legal restricts acting and maximising: with one legal action in state 1
// (left, worth 0.2), Q-learning's target ignores Q(1, right) = 0.6.
func TestLegalActions(t *testing.T) {
	q := []float64{0, 0, 0.2, 0.6}
	c := Control{Rule: QLearning, Legal: []int64{2, 1}}
	src := &UniformSource{U: []float64{0, 0.9, 0.9, 0.5, 0.9, 0.9, 0.3}}
	err := RunControl(chain(), q, Params{Alpha: 1, Gamma: 0.9, Epsilon: 0.5, MaxSteps: 1}, c, 1, src,
		make([]float64, 1), make([]int64, 1))
	if err != nil || math.Abs(q[1]-0.9*0.2) > 1e-15 {
		t.Errorf("Q(0, right) = %v, err %v; want %v", q[1], err, 0.9*0.2)
	}
}

func TestControlErrors(t *testing.T) {
	good := Params{Alpha: 0.5, Gamma: 0.9, Epsilon: 0.1, MaxSteps: 5}
	tests := []struct {
		name string
		c    Control
		want error
	}{
		{"unknown rule", Control{Rule: 9}, ErrRule},
		{"negative rule", Control{Rule: -1}, ErrRule},
		{"double q without Q2", Control{Rule: DoubleQ}, ErrQ2},
		{"Q2 for another rule", Control{Rule: SARSA, Q2: make([]float64, 4)}, ErrQ2},
		{"Q2 too short", Control{Rule: DoubleQ, Q2: make([]float64, 3)}, ErrQ2},
		{"Q2 not finite", Control{Rule: DoubleQ, Q2: []float64{0, math.NaN(), 0, 0}}, ErrNonFinite},
		{"legal too short", Control{Legal: []int64{2}}, ErrLegal},
		{"legal zero", Control{Legal: []int64{2, 0}}, ErrLegal},
		{"legal above nA", Control{Legal: []int64{3, 2}}, ErrLegal},
		{"visits too short", Control{Visits: make([]int64, 3)}, ErrVisits},
		{"negative visits", Control{Visits: []int64{0, -1, 0, 0}}, ErrVisits},
		{"omega above 1", Control{Visits: make([]int64, 4), Omega: 1.5}, ErrVisits},
		{"omega NaN", Control{Visits: make([]int64, 4), Omega: math.NaN()}, ErrVisits},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := make([]float64, 4)
			err := RunControl(chain(), q, good, tc.c, 1, NewPCGSource(1), make([]float64, 1), make([]int64, 1))
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v; want %v", err, tc.want)
			}
			if q[0] != 0 || q[1] != 0 {
				t.Errorf("Q changed to %v despite the error", q)
			}
		})
	}
}

// Every rule learns chain's best policy: right in both states.
func TestEveryRuleLearnsTheChain(t *testing.T) {
	for rule := range Rule(len(ruleNames)) {
		q, c := make([]float64, 4), Control{Rule: rule}
		if rule == DoubleQ {
			c.Q2 = make([]float64, 4)
		}
		ret, n := make([]float64, 2000), make([]int64, 2000)
		err := RunControl(chain(), q, Params{Alpha: 0.1, Gamma: 0.9, Epsilon: 0.1, MaxSteps: 50}, c, 2000,
			NewPCGSource(uint64(rule)), ret, n)
		if err != nil || !(q[1] > q[0] && q[3] > q[2]) {
			t.Errorf("%s: Q = %v, err %v; want right preferred in both states", ruleNames[rule], q, err)
		}
	}
}
