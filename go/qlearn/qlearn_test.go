package qlearn

import (
	"errors"
	"math"
	"testing"
)

// Hand-worked transitions. alpha = 0.5, gamma = 0.9 unless stated.
var updateTests = []struct {
	name          string
	q, r, maxNext float64
	terminal      bool
	alpha, gamma  float64
	want          float64
}{
	// 1 + 0.5*(1 + 0.9*2 - 1) = 1 + 0.5*1.8 = 1.9
	{"bootstrap", 1, 1, 2, false, 0.5, 0.9, 1.9},
	// terminal: target is r alone: 1 + 0.5*(1 - 1) = 1
	{"terminal", 1, 1, 2, true, 0.5, 0.9, 1},
	// a negative next value is still bootstrapped: 0 + 0.5*(0 + 0.9*-2) = -0.9
	{"negative next", 0, 0, -2, false, 0.5, 0.9, -0.9},
	// alpha 0 never moves Q
	{"alpha zero", 3, 10, 10, false, 0, 0.9, 3},
	// alpha 1 jumps to the target: 2 + 1*5 = 7
	{"alpha one", 3, 2, 5, false, 1, 1, 7},
	// gamma 0 ignores the future: 0 + 0.5*(4 - 0) = 2
	{"gamma zero", 0, 4, 100, false, 0.5, 0, 2},
}

func TestUpdate(t *testing.T) {
	for _, tt := range updateTests {
		got := Update(tt.q, tt.r, tt.maxNext, tt.terminal, tt.alpha, tt.gamma)
		if math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("%s: Update(%v, %v, %v, %v, %v, %v) = %v; want %v",
				tt.name, tt.q, tt.r, tt.maxNext, tt.terminal, tt.alpha, tt.gamma, got, tt.want)
		}
	}
}

// The article's function agrees with Update when maxNext > 0 and treats
// every maxNext <= 0 as terminal.
func TestArticleUpdate(t *testing.T) {
	tests := []struct {
		q, r, maxNext, want float64
	}{
		{1, 1, 2, 1.9}, // positive next value: same as Update
		{0, 0, -2, 0},  // quirk: -2 dropped, Update gives -0.9
		{0, 1, 0, 0.5}, // zero next value: treated as terminal
		{2, 0, -1, 1},  // 2 + 0.5*(0 - 2) = 1; Update gives 2 + 0.5*(-0.9-2) = 0.55
	}
	for _, tt := range tests {
		if got := ArticleUpdate(tt.q, tt.r, tt.maxNext, 0.5, 0.9); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("ArticleUpdate(%v, %v, %v, 0.5, 0.9) = %v; want %v", tt.q, tt.r, tt.maxNext, got, tt.want)
		}
	}
}

func TestUpdateChecked(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	tests := []struct {
		q, r, maxNext, alpha, gamma float64
		want                        error
	}{
		{1, 1, 1, 0.5, 0.9, nil},
		{1, 1, 1, -0.1, 0.9, ErrAlpha},
		{1, 1, 1, 1.5, 0.9, ErrAlpha},
		{1, 1, 1, nan, 0.9, ErrAlpha},
		{1, 1, 1, 0.5, 1.01, ErrGamma},
		{1, 1, 1, 0.5, nan, ErrGamma},
		{nan, 1, 1, 0.5, 0.9, ErrNonFinite},
		{1, inf, 1, 0.5, 0.9, ErrNonFinite},
		{1, 1, -inf, 0.5, 0.9, ErrNonFinite},
		{0, math.MaxFloat64, math.MaxFloat64, 1, 1, ErrOverflow},
	}
	for _, tt := range tests {
		_, err := UpdateChecked(tt.q, tt.r, tt.maxNext, false, tt.alpha, tt.gamma)
		if !errors.Is(err, tt.want) && !(err == nil && tt.want == nil) {
			t.Errorf("UpdateChecked(%v, %v, %v, false, %v, %v) error = %v; want %v",
				tt.q, tt.r, tt.maxNext, tt.alpha, tt.gamma, err, tt.want)
		}
	}
}

func TestUpdateBatch(t *testing.T) {
	q := []float64{1, 1, 0, 2}
	r := []float64{1, 1, 0, 0}
	next := []float64{2, 2, -2, -1}
	term := []byte{0, 1, 0, 1}
	out := make([]float64, 4)
	if err := UpdateBatch(out, q, r, next, term, 0.5, 0.9); err != nil {
		t.Fatalf("UpdateBatch: %v", err)
	}
	want := []float64{1.9, 1, -0.9, 1}
	for i := range want {
		if math.Abs(out[i]-want[i]) > 1e-12 {
			t.Errorf("UpdateBatch out[%d] = %v; want %v", i, out[i], want[i])
		}
	}
}

func TestUpdateBatchErrors(t *testing.T) {
	one := []float64{1}
	tests := []struct {
		name         string
		out, q       []float64
		term         []byte
		alpha, gamma float64
		want         error
	}{
		{"length", make([]float64, 2), one, []byte{0}, 0.5, 0.5, ErrLength},
		{"terminal length", make([]float64, 1), one, []byte{}, 0.5, 0.5, ErrLength},
		{"alpha", make([]float64, 1), one, []byte{0}, 2, 0.5, ErrAlpha},
		{"gamma", make([]float64, 1), one, []byte{0}, 0.5, -1, ErrGamma},
		{"nan", make([]float64, 1), []float64{math.NaN()}, []byte{0}, 0.5, 0.5, ErrNonFinite},
	}
	for _, tt := range tests {
		if err := UpdateBatch(tt.out, tt.q, one, one, tt.term, tt.alpha, tt.gamma); !errors.Is(err, tt.want) {
			t.Errorf("%s: UpdateBatch error = %v; want %v", tt.name, err, tt.want)
		}
	}
	// A NaN next value is refused even for a terminal transition.
	out := make([]float64, 1)
	if err := UpdateBatch(out, one, one, []float64{math.NaN()}, []byte{1}, 0.5, 0.5); !errors.Is(err, ErrNonFinite) {
		t.Errorf("terminal NaN next: error = %v; want %v", err, ErrNonFinite)
	}
}

func TestTDTargets(t *testing.T) {
	nextQ := []float64{
		1, 3, // max 3
		-2, -5, // max -2: still bootstrapped
		7, 0, // terminal: ignored
	}
	r := []float64{1, 0, 2}
	term := []byte{0, 0, 1}
	out := make([]float64, 3)
	if err := TDTargets(out, nextQ, 2, r, term, 0.5); err != nil {
		t.Fatalf("TDTargets: %v", err)
	}
	want := []float64{2.5, -1, 2}
	for i := range want {
		if out[i] != want[i] {
			t.Errorf("TDTargets out[%d] = %v; want %v", i, out[i], want[i])
		}
	}
	if err := TDTargets(out, nextQ, 0, r, term, 0.5); !errors.Is(err, ErrActions) {
		t.Errorf("TDTargets with 0 actions: error = %v; want %v", err, ErrActions)
	}
	if err := TDTargets(out, nextQ[:5], 2, r, term, 0.5); !errors.Is(err, ErrLength) {
		t.Errorf("TDTargets with short nextQ: error = %v; want %v", err, ErrLength)
	}
	if err := TDTargets(out, nextQ, 2, r, term, 1.5); !errors.Is(err, ErrGamma) {
		t.Errorf("TDTargets with gamma 1.5: error = %v; want %v", err, ErrGamma)
	}
}

func TestSafe(t *testing.T) {
	if got := Safe(func() error { panic("boom") }); got != CodePanic {
		t.Errorf("Safe(panicking func) = %d; want %d", got, CodePanic)
	}
	if got := Safe(func() error { return ErrGamma }); got != CodeGamma {
		t.Errorf("Safe(ErrGamma) = %d; want %d", got, CodeGamma)
	}
	if got := Safe(func() error { return nil }); got != CodeOK {
		t.Errorf("Safe(nil) = %d; want %d", got, CodeOK)
	}
}

// The codes are an ABI shared with helpers/golib.py: they must not move.
func TestCodesAreStable(t *testing.T) {
	want := map[error]int{ErrNilPointer: 1, ErrLength: 2, ErrAlpha: 3, ErrGamma: 4,
		ErrNonFinite: 5, ErrOverflow: 6, ErrActions: 7, ErrPanic: 8}
	for err, code := range want {
		if got := Code(err); got != code {
			t.Errorf("Code(%v) = %d; want %d", err, got, code)
		}
	}
}
