package qlearn

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// The table is an ABI read by Python: codes run 0 .. StatusCount()-1 with no
// gap, names are unique upper-case words, and every error knows its code.
func TestStatusTable(t *testing.T) {
	names := map[string]int{}
	for code := range StatusCount() {
		name, msg, ok := Status(code)
		if !ok {
			t.Fatalf("Status(%d) missing: codes must be contiguous from 0", code)
		}
		if prev, dup := names[name]; dup {
			t.Errorf("Status(%d) name %q already used by code %d", code, name, prev)
		}
		names[name] = code
		if name == "" || strings.ToUpper(name) != name || strings.ContainsAny(name, " \t") {
			t.Errorf("Status(%d) name = %q; want an upper-case word", code, name)
		}
		if msg == "" || strings.HasPrefix(msg, "qlearn:") || strings.Contains(msg, "\t") {
			t.Errorf("Status(%d) message = %q; want text without prefix or tab", code, msg)
		}
	}
	for _, code := range []int{-1, StatusCount()} {
		if _, _, ok := Status(code); ok {
			t.Errorf("Status(%d) ok = true; want false", code)
		}
	}
	if !strings.Contains(ErrRNGState.Error(), strconv.Itoa(StateWords)+"-word") {
		t.Errorf("ErrRNGState = %q; want it to name StateWords = %d", ErrRNGState, StateWords)
	}
}

// Numbers and names pinned: Python code and saved results rely on them.
func TestStatusCodesPinned(t *testing.T) {
	tests := []struct {
		err  error
		code int
		name string
	}{
		{nil, 0, "OK"},
		{ErrNilPointer, 1, "NIL_POINTER"},
		{ErrLength, 2, "LENGTH"},
		{ErrAlpha, 3, "ALPHA"},
		{ErrGamma, 4, "GAMMA"},
		{ErrNonFinite, 5, "NON_FINITE"},
		{ErrOverflow, 6, "OVERFLOW"},
		{ErrActions, 7, "ACTIONS"},
		{ErrPanic, 8, "PANIC"},
		{ErrMDPShape, 9, "MDP_SHAPE"},
		{ErrProb, 10, "PROB"},
		{ErrNextState, 11, "NEXT_STATE"},
		{ErrTerminated, 12, "TERMINATED"},
		{ErrEpsilon, 13, "EPSILON"},
		{ErrSteps, 14, "STEPS"},
		{ErrUniforms, 15, "UNIFORMS"},
		{ErrRNGState, 16, "RNG_STATE"},
		{ErrRule, 17, "RULE"},
		{ErrQ2, 18, "SECOND_TABLE"},
		{ErrLegal, 19, "LEGAL"},
		{ErrVisits, 20, "VISITS"},
	}
	if StatusCount() != len(tests) {
		t.Errorf("StatusCount() = %d; want %d (add new codes to this test)", StatusCount(), len(tests))
	}
	for _, tt := range tests {
		if got := Code(tt.err); got != tt.code {
			t.Errorf("Code(%v) = %d; want %d", tt.err, got, tt.code)
		}
		name, msg, _ := Status(tt.code)
		if name != tt.name {
			t.Errorf("Status(%d) name = %q; want %q", tt.code, name, tt.name)
		}
		if tt.err != nil && "qlearn: "+msg != tt.err.Error() {
			t.Errorf("Status(%d) message = %q; want the text of %q", tt.code, msg, tt.err)
		}
	}
	if name, msg, _ := Status(CodeOK); name+"\t"+msg != "OK\tok" {
		t.Errorf("Status(0) = %q, %q; want OK, ok", name, msg)
	}
}

func TestCodeOfWrappedAndForeignErrors(t *testing.T) {
	if got := Code(fmt.Errorf("row 3: %w", ErrProb)); got != Code(ErrProb) {
		t.Errorf("Code(wrapped ErrProb) = %d; want %d", got, Code(ErrProb))
	}
	if got := Code(errors.New("other")); got != CodePanic {
		t.Errorf("Code(foreign error) = %d; want %d", got, CodePanic)
	}
	tests := []struct {
		code int
		want string
	}{
		{CodeOK, "ok"},
		{CodeAlpha, "qlearn: alpha must be a finite number in [0, 1]"},
		{99, "qlearn: unknown status code 99"},
	}
	for _, tt := range tests {
		if got := Describe(tt.code); got != tt.want {
			t.Errorf("Describe(%d) = %q; want %q", tt.code, got, tt.want)
		}
	}
}
