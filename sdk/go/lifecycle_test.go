package warden

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// dialect is a small policy document of the vectors (regex-dialect.json).
const dialect = `{"warden": 1, "name": "dialect", "fields": {"code": {"type": "identifier", "required": true, "pattern": "[0-9]{4}"}}}`

// The loaded policy's hash is the module's: the one its decisions carry, and the one a
// one-shot request naming the same policy carries.
func TestPolicyHashIsTheModules(t *testing.T) {
	ctx := context.Background()
	rt := testRuntime(t)
	hashes := map[string]bool{}
	for _, preset := range []string{"crm", "production-planner-pro"} {
		w, err := rt.LoadPreset(ctx, preset, WithPoolSize(1))
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		h := w.PolicyHash()
		if !strings.HasPrefix(h, "sha256:") || len(h) != len("sha256:")+64 {
			t.Fatalf("%s: policy hash %q", preset, h)
		}
		d, err := w.CheckPassword(ctx, PasswordInput{Password: "correct horse battery staple"})
		if err != nil || d["policy"] != h {
			t.Fatalf("%s: the decision carries %v, PolicyHash is %s (%v)", preset, d["policy"], h, err)
		}
		hashes[h] = true
	}
	if len(hashes) != 2 {
		t.Fatal("two presets, one hash")
	}
	w, err := rt.LoadPolicy(ctx, []byte(dialect), WithPoolSize(1))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	input := map[string]any{"user": map[string]any{"code": "1234"}, "today": today}
	oneShot, err := rt.Evaluate(ctx, map[string]any{"policy": decode(t, dialect), "op": "validate", "input": input})
	if err != nil || oneShot["policy"] != w.PolicyHash() {
		t.Fatalf("one-shot %v, loaded %s (%v)", oneShot["policy"], w.PolicyHash(), err)
	}
	// The module hashes the canonical document: white space does not change it.
	spaced, err := rt.LoadPolicy(ctx, []byte(strings.ReplaceAll(dialect, ", ", ",\n  ")), WithPoolSize(1))
	if err != nil {
		t.Fatal(err)
	}
	defer spaced.Close()
	if spaced.PolicyHash() != w.PolicyHash() {
		t.Fatalf("%s != %s", spaced.PolicyHash(), w.PolicyHash())
	}
}

// calls are one call of each method of a Warden and of its Runtime.
func calls(rt *Runtime, w *Warden) map[string]func(context.Context) error {
	actor := map[string]any{"id": "a", "organization": "acme", "roles": []any{"administrator"}}
	return map[string]func(context.Context) error{
		"Validate": func(ctx context.Context) error {
			_, err := w.Validate(ctx, ValidateInput{User: ada, Today: today})
			return err
		},
		"CheckPassword": func(ctx context.Context) error {
			_, err := w.CheckPassword(ctx, PasswordInput{Password: "correct horse battery staple"})
			return err
		},
		"Authorize": func(ctx context.Context) error {
			_, err := w.Authorize(ctx, AuthorizeInput{Actor: actor, Action: "users.read", Target: actor, Now: now})
			return err
		},
		"Scope": func(ctx context.Context) error {
			_, err := w.Scope(ctx, ScopeInput{Actor: actor, Action: "users.read", Now: now})
			return err
		},
		"Transition": func(ctx context.Context) error {
			_, err := w.Transition(ctx, map[string]any{"actor": actor, "target": actor, "to": "active"}, now)
			return err
		},
		"Login": func(ctx context.Context) error {
			_, err := w.Login(ctx, LoginInput{Account: actor, Now: now})
			return err
		},
		"Evaluate": func(ctx context.Context) error {
			_, err := w.Evaluate(ctx, "password", map[string]any{"password": "x"}, "")
			return err
		},
		"EvaluateRequest": func(ctx context.Context) error {
			_, err := w.EvaluateRequest(ctx, map[string]any{"op": "password", "input": map[string]any{"password": "x"}})
			return err
		},
		"Runtime.Evaluate": func(ctx context.Context) error {
			_, err := rt.Evaluate(ctx, map[string]any{"preset": "crm", "op": "password", "input": map[string]any{"password": "x"}})
			return err
		},
		"Runtime.LoadPreset": func(ctx context.Context) error {
			loaded, err := rt.LoadPreset(ctx, "crm", WithPoolSize(1))
			if err == nil {
				loaded.Close()
			}
			return err
		},
		"Runtime.LoadPolicy": func(ctx context.Context) error {
			loaded, err := rt.LoadPolicy(ctx, []byte(dialect), WithPoolSize(1))
			if err == nil {
				loaded.Close()
			}
			return err
		},
	}
}

func wantClosed(t *testing.T, what string, err error) {
	t.Helper()
	var f *Fault
	if !errors.Is(err, ErrClosed) || !errors.As(err, &f) || f.Code != FaultClosed {
		t.Fatalf("%s: want ErrClosed, got %#v", what, err)
	}
}

func TestUseAfterWardenCloseIsErrClosed(t *testing.T) {
	ctx := context.Background()
	rt := testRuntime(t)
	w, err := rt.LoadPreset(ctx, "crm", WithPoolSize(1))
	if err != nil {
		t.Fatal(err)
	}
	hash := w.PolicyHash()
	w.Close()
	w.Close() // harmless
	for name, call := range calls(rt, w) {
		if strings.HasPrefix(name, "Runtime.") {
			continue // the runtime is still open
		}
		wantClosed(t, name, call(ctx))
	}
	if w.PolicyHash() != hash {
		t.Fatal("the policy hash changed with Close")
	}
	// The runtime and its other Wardens are unaffected.
	if err := calls(rt, w)["Runtime.Evaluate"](ctx); err != nil {
		t.Fatal(err)
	}
}

func TestUseAfterRuntimeCloseIsErrClosed(t *testing.T) {
	ctx := context.Background()
	rt := testRuntime(t, WithPoolSize(2))
	w, err := rt.LoadPreset(ctx, "crm")
	if err != nil {
		t.Fatal(err)
	}
	if err := calls(rt, w)["CheckPassword"](ctx); err != nil {
		t.Fatal(err) // an idle instance in the Warden's pool, which Close closes under it
	}
	if err := rt.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := rt.Close(ctx); err != nil {
		t.Fatalf("a second Close: %v", err)
	}
	for name, call := range calls(rt, w) {
		wantClosed(t, name, call(ctx))
	}
	w.Close()
	w.Close()
	wantClosed(t, "after both closed", calls(rt, w)["Validate"](ctx))
}

// Calls racing a Close either complete or return ErrClosed: never another error, a panic or
// a data race (go test -race).
func TestCallsRacingCloseCompleteOrAreClosed(t *testing.T) {
	ctx := context.Background()
	race := func(t *testing.T, rt *Runtime, w *Warden, closeIt func()) (done, closed int) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		start, finished := make(chan struct{}), make(chan struct{})
		for name, call := range calls(rt, w) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				// Calls until the close is seen or the closers are done (a runtime's calls
				// outlive a Warden's close), so that every caller overlaps the close.
				for {
					select {
					case <-finished:
						return
					default:
					}
					err := call(ctx)
					mu.Lock()
					switch {
					case err == nil:
						done++
					case errors.Is(err, ErrClosed):
						closed++
						mu.Unlock()
						return
					default:
						var werr *Error
						if !errors.As(err, &werr) { // a refusal is a completed call
							mu.Unlock()
							t.Errorf("%s racing Close: %#v", name, err)
							return
						}
						done++
					}
					mu.Unlock()
				}
			}()
		}
		var closers sync.WaitGroup
		closers.Add(2)
		for i := 0; i < 2; i++ {
			go func() {
				defer closers.Done()
				<-start
				time.Sleep(time.Duration(2+i) * time.Millisecond)
				closeIt()
			}()
		}
		close(start)
		closers.Wait()
		close(finished)
		wg.Wait()
		return done, closed
	}
	t.Run("Warden", func(t *testing.T) {
		completed := 0
		rt := testRuntime(t)
		for round := 0; round < 5; round++ {
			w, err := rt.LoadPreset(ctx, "crm", WithPoolSize(2))
			if err != nil {
				t.Fatal(err)
			}
			done, closed := race(t, rt, w, w.Close)
			t.Logf("round %d: %d completed, %d closed", round, done, closed)
			completed += done
			wantClosed(t, "after the race", calls(rt, w)["Login"](ctx))
		}
		if completed == 0 {
			t.Error("no call completed before a close: nothing raced")
		}
	})
	t.Run("Runtime", func(t *testing.T) {
		completed := 0
		for round := 0; round < 3; round++ {
			rt := testRuntime(t, WithPoolSize(2))
			w, err := rt.LoadPreset(ctx, "crm")
			if err != nil {
				t.Fatal(err)
			}
			done, closed := race(t, rt, w, func() {
				if err := rt.Close(ctx); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			t.Logf("round %d: %d completed, %d closed", round, done, closed)
			completed += done
			wantClosed(t, "after the race", calls(rt, w)["Login"](ctx))
		}
		if completed == 0 {
			t.Error("no call completed before a close: nothing raced")
		}
	})
}

// The runtime's Close interrupts a long call in flight: the call answers ErrClosed, and Close
// returns long before the call would have finished (it does not wait for it).
func TestRuntimeCloseInterruptsACallInFlight(t *testing.T) {
	ctx := context.Background()
	rt := testRuntime(t, WithPoolSize(1), WithTimeout(time.Hour))
	w, err := rt.LoadPreset(ctx, "crm")
	if err != nil {
		t.Fatal(err)
	}
	big := make([]any, 100000)
	for i := range big {
		big[i] = map[string]any{"id": fmt.Sprint("u", i), "organization": "acme", "status": "active"}
	}
	// Encoded once: the call's time is then the module's (reading and counting), which
	// Close can interrupt.
	input, err := json.Marshal(map[string]any{"accounts": big, "now": now})
	if err != nil {
		t.Fatal(err)
	}
	call := func() error {
		_, err := w.Evaluate(ctx, "statistics", json.RawMessage(input), "")
		return err
	}
	began := time.Now()
	if err := call(); err != nil {
		t.Fatal(err)
	}
	alone := time.Since(began)
	result := make(chan error, 1)
	go func() { result <- call() }()
	for len(w.pool.slots) == 0 { // the call has its instance
		time.Sleep(time.Millisecond)
	}
	time.Sleep(alone / 5)
	began = time.Now()
	if err := rt.Close(ctx); err != nil {
		t.Fatal(err)
	}
	closing := time.Since(began)
	wantClosed(t, "the call in flight", <-result)
	if closing > alone/2 {
		t.Errorf("Close took %v: it waited for the call (%v alone) instead of interrupting it", closing, alone)
	}
}
