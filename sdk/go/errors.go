package warden

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/sys"
)

// Error is a request Warden refused: the contract's error envelope. Code is stable
// ("invalid_input", "policy_error", "unsupported", "invalid_handle", "limit_exceeded", or a
// rejection code such as "unknown_action"); Path is the key path in the request ("" for the
// whole request). A request whose JSON encoding is above MaxRequestBytes (64 MiB, the
// module's MAX_INPUT_BYTES) is refused before the call as "limit_exceeded" at "". Domain
// outcomes (invalid records, denials) are decisions, not errors.
type Error struct {
	Code    string `json:"code"`
	Path    string `json:"path"`
	Message string `json:"message"`
	Help    string `json:"help,omitempty"`

	raw map[string]any // the envelope as the module returned it
}

// Error implements error.
func (e *Error) Error() string {
	if e.Path != "" {
		return fmt.Sprintf("warden: %s at `%s`: %s", e.Code, e.Path, e.Message)
	}
	return fmt.Sprintf("warden: %s: %s", e.Code, e.Message)
}

// Envelope renders the error as the contract does: {"error": {code, message, path, help?}},
// exactly as the module returned it (with any other key the contract adds).
func (e *Error) Envelope() map[string]any {
	if e.raw != nil {
		return e.raw
	}
	body := map[string]any{"code": e.Code, "message": e.Message, "path": e.Path}
	if e.Help != "" {
		body["help"] = e.Help
	}
	return map[string]any{"error": body}
}

// Codes of Fault: every code a *Fault of this package has. The same event has the same code
// in the Python and Java SDKs; the codes of events that only their runtimes tell apart
// (out_of_fuel, stack_overflow, memory_out_of_bounds, interrupted) are FaultTrap here, and
// wazero's deadline is FaultDeadline.
const (
	// FaultDeadline: the call ran past its deadline (the default timeout or the context's).
	FaultDeadline = "deadline_exceeded"
	// FaultCancelled: the context was cancelled during the call.
	FaultCancelled = "cancelled"
	// FaultAborted: the module stopped itself with an `unreachable` trap: an allocation inside
	// the call went past the memory cap (component/ABI.md), or another of its panics.
	FaultAborted = "aborted"
	// FaultTrap: the module trapped otherwise (a stack overflow, ...); wazero keeps its trap
	// codes internal, so every trap but `unreachable` has this code.
	FaultTrap = "trap"
	// FaultAllocFailed: no room in the module's memory for a request within MaxRequestBytes
	// (its memory could not grow); a larger request is an *Error "limit_exceeded".
	FaultAllocFailed = "alloc_failed"
	// FaultABIMismatch: the module's ABI version is not one this SDK speaks.
	FaultABIMismatch = "abi_mismatch"
	// FaultBadOutput: the module's output is not what the ABI specifies.
	FaultBadOutput = "bad_output"
	// FaultClosed: the Warden or Runtime was closed (the Fault matches ErrClosed).
	FaultClosed = "closed"
	// FaultInstantiate: the module does not compile, or could not be instantiated (its
	// initial memory above the cap).
	FaultInstantiate = "instantiation_failed"
	// FaultPoolTimeout: no instance of the pool came free within its wait (WithPoolWait,
	// default DefaultPoolWait, 30 s) and before the context ended.
	FaultPoolTimeout = "pool_timeout"
)

// ErrClosed is the error of a call on a closed Runtime or Warden (or on a Warden of a closed
// Runtime), and of a call the runtime's Close interrupted: errors.Is(err, ErrClosed). The
// error itself is a *Fault with Code FaultClosed.
var ErrClosed = errors.New("warden: closed")

func errWardenClosed() error {
	return &Fault{Code: FaultClosed, Err: errors.New("the Warden was closed")}
}

func errRuntimeClosed() error {
	return &Fault{Code: FaultClosed, Err: errors.New("the Runtime was closed")}
}

// Fault means the module could not run the call; the instance that ran it is discarded.
type Fault struct {
	Code string
	Err  error
}

// Error implements error.
func (f *Fault) Error() string {
	if f.Err != nil {
		return fmt.Sprintf("warden: %s: %v", f.Code, f.Err)
	}
	return "warden: " + f.Code
}

// Unwrap gives the runtime's error.
func (f *Fault) Unwrap() error { return f.Err }

// Is makes a Fault with Code FaultClosed match ErrClosed (errors.Is).
func (f *Fault) Is(target error) bool { return target == ErrClosed && f.Code == FaultClosed }

// unreachableWasm is a module whose one export, "u", executes `unreachable`.
var unreachableWasm = []byte{
	0, 'a', 's', 'm', 1, 0, 0, 0,
	1, 4, 1, 0x60, 0, 0, // type section: () -> ()
	3, 2, 1, 0, // function section: one function of type 0
	7, 5, 1, 1, 'u', 0, 0, // export section: "u", function 0
	10, 5, 1, 3, 0, 0, 0x0b, // code section: no locals; unreachable; end
}

// unreachableTrap is the error value wazero gives an `unreachable` trap (a sentinel of its
// internal package, the same for its interpreter and its compiler), found once by running
// one: matched by identity (errors.Is), never by message. nil if the probe fails.
var unreachableTrap = sync.OnceValue(func() error {
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer func() { _ = rt.Close(ctx) }()
	mod, err := rt.Instantiate(ctx, unreachableWasm)
	if err != nil {
		return nil
	}
	_, err = mod.ExportedFunction("u").Call(ctx)
	if err == nil {
		return nil
	}
	for inner := errors.Unwrap(err); inner != nil; inner = errors.Unwrap(inner) {
		err = inner
	}
	return err
})

// faultOf maps a call error by its code: wazero reports a context that ended as a
// sys.ExitError with a reserved exit code, and an `unreachable` trap with its own sentinel
// error (unreachableTrap); anything else is a trap.
func faultOf(err error) *Fault {
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		switch exit.ExitCode() {
		case sys.ExitCodeDeadlineExceeded:
			return &Fault{Code: FaultDeadline, Err: err}
		case sys.ExitCodeContextCanceled:
			return &Fault{Code: FaultCancelled, Err: err}
		}
	}
	if u := unreachableTrap(); u != nil && errors.Is(err, u) {
		return &Fault{Code: FaultAborted, Err: err}
	}
	return &Fault{Code: FaultTrap, Err: err}
}
