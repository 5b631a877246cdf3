package qlearn

import (
	"errors"
	"fmt"
)

// The status table: one line per status code, giving its number, its NAME
// and its message. The numbers are an ABI shared with the Python wrapper,
// which reads this table through qvalueStatusText: never renumber a line;
// add a new error as one more line with the next free number.
var (
	statusOK      = newStatus(0, "OK", "ok") // success; Code(nil) == 0
	ErrNilPointer = newStatus(1, "NIL_POINTER", "nil pointer")
	ErrLength     = newStatus(2, "LENGTH", "length must be >= 0 and slices must match")
	ErrAlpha      = newStatus(3, "ALPHA", "alpha must be a finite number in [0, 1]")
	ErrGamma      = newStatus(4, "GAMMA", "gamma must be a finite number in [0, 1]")
	ErrNonFinite  = newStatus(5, "NON_FINITE", "input holds NaN or Inf")
	ErrOverflow   = newStatus(6, "OVERFLOW", "result overflowed to Inf")
	ErrActions    = newStatus(7, "ACTIONS", "number of actions must be >= 1")
	ErrPanic      = newStatus(8, "PANIC", "internal panic (recovered)")
	ErrMDPShape   = newStatus(9, "MDP_SHAPE", "MDP sizes must be >= 1 and its tables must hold nS*nA*K entries (start and Q: nS and nS*nA)")
	ErrProb       = newStatus(10, "PROB", "probabilities must be in [0, 1] and each (s, a) row and the start distribution must sum to 1 (within 1e-6)")
	ErrNextState  = newStatus(11, "NEXT_STATE", "next states must be in [0, nS)")
	ErrTerminated = newStatus(12, "TERMINATED", "terminated flags must be 0 or 1")
	ErrEpsilon    = newStatus(13, "EPSILON", "epsilon must be a finite number in [0, 1]")
	ErrSteps      = newStatus(14, "STEPS", "max steps must be >= 1 and episodes >= 0")
	ErrUniforms   = newStatus(15, "UNIFORMS", "uniform stream ran out or holds a value outside [0, 1)")
	ErrRNGState   = newStatus(16, "RNG_STATE", "RNG state must be the 4-word buffer filled by qTabularSeed")
	ErrRule       = newStatus(17, "RULE", "rule must be a number from the rule table (qTabularRules)")
	ErrQ2         = newStatus(18, "SECOND_TABLE", "Double Q-learning needs a second table of nS*nA entries (q2), and only it")
	ErrLegal      = newStatus(19, "LEGAL", "legal action counts must hold nS entries, each in [1, nA]")
	ErrVisits     = newStatus(20, "VISITS", "visit counts must hold nS*nA entries >= 0, and omega must be in [0, 1]")
)

// Names for the first status codes, kept for callers that switch on them.
// Code(ErrX) gives the number of any error in the table.
const (
	CodeOK = iota
	CodeNilPointer
	CodeLength
	CodeAlpha
	CodeGamma
	CodeNonFinite
	CodeOverflow
	CodeActions
	CodePanic
)

// statusError is an error of the status table.
type statusError struct {
	code      int
	name, msg string
}

func (e *statusError) Error() string { return "qlearn: " + e.msg }

// statuses holds every line of the table, in the order Go initialized them;
// look lines up by code, not by position.
var statuses []*statusError

func newStatus(code int, name, msg string) error {
	e := &statusError{code, name, msg}
	statuses = append(statuses, e)
	return e
}

// Code returns the status code of err: CodeOK for nil, CodePanic for an
// error this package does not know.
func Code(err error) int {
	if err == nil {
		return CodeOK
	}
	var e *statusError
	if errors.As(err, &e) {
		return e.code
	}
	return CodePanic
}

// Safe runs f and returns its status code. A panic inside f becomes
// CodePanic instead of crashing the process that loaded the library.
func Safe(f func() error) (code int) {
	defer func() {
		if r := recover(); r != nil {
			code = CodePanic
		}
	}()
	return Code(f())
}

// StatusCount returns the number of status codes, OK included. The codes
// are 0 .. StatusCount()-1.
func StatusCount() int { return len(statuses) }

// Status returns the NAME (such as "ALPHA") and the message (the error's
// text without its "qlearn: " prefix) of a status code; ok is false for a
// code not in the table.
func Status(code int) (name, msg string, ok bool) {
	for _, e := range statuses {
		if e.code == code {
			return e.name, e.msg, true
		}
	}
	return "", "", false
}

// Describe returns a one-line account of a status code, for messages.
func Describe(code int) string {
	_, msg, ok := Status(code)
	switch {
	case !ok:
		return fmt.Sprintf("qlearn: unknown status code %d", code)
	case code == CodeOK:
		return msg
	}
	return "qlearn: " + msg
}
