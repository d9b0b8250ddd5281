package warden

import (
	"context"
	"errors"
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
		start := make(chan struct{})
		for name, call := range calls(rt, w) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for i := 0; i < 4; i++ {
					err := call(ctx)
					mu.Lock()
					switch {
					case err == nil:
						done++
					case errors.Is(err, ErrClosed):
						closed++
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
		wg.Add(2)
		for i := 0; i < 2; i++ {
			go func() {
				defer wg.Done()
				<-start
				time.Sleep(time.Duration(2+i) * time.Millisecond)
				closeIt()
			}()
		}
		close(start)
		wg.Wait()
		return done, closed
	}
	t.Run("Warden", func(t *testing.T) {
		rt := testRuntime(t)
		for round := 0; round < 5; round++ {
			w, err := rt.LoadPreset(ctx, "crm", WithPoolSize(2))
			if err != nil {
				t.Fatal(err)
			}
			done, closed := race(t, rt, w, w.Close)
			t.Logf("round %d: %d completed, %d closed", round, done, closed)
			wantClosed(t, "after the race", calls(rt, w)["Login"](ctx))
		}
	})
	t.Run("Runtime", func(t *testing.T) {
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
			wantClosed(t, "after the race", calls(rt, w)["Login"](ctx))
		}
	})
}

// The runtime's Close interrupts a long call in flight (the call's answer is ErrClosed, or
// its decision when it finished first) rather than waiting for its deadline.
func TestRuntimeCloseInterruptsACallInFlight(t *testing.T) {
	ctx := context.Background()
	rt := testRuntime(t, WithPoolSize(1), WithTimeout(time.Hour))
	w, err := rt.LoadPreset(ctx, "crm")
	if err != nil {
		t.Fatal(err)
	}
	big := make([]any, 20000)
	for i := range big {
		big[i] = map[string]any{"id": i, "organization": "acme", "status": "active"}
	}
	result := make(chan error, 1)
	go func() {
		_, err := w.Evaluate(ctx, "statistics", map[string]any{"accounts": big, "now": now}, "")
		result <- err
	}()
	for len(w.pool.slots) == 0 { // the call has its instance
		time.Sleep(time.Millisecond)
	}
	if err := rt.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-result; err != nil {
		wantClosed(t, "the call in flight", err)
	} else {
		t.Log("the call finished before Close interrupted it")
	}
}
