package warden

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

const (
	today = "2026-11-22"
	now   = "2026-11-22T10:00:00Z"
)

var (
	sharedOnce sync.Once
	shared     *Runtime
	sharedErr  error
)

// cacheDir keeps wazero's compiled code across test runs (WARDEN_WAZERO_CACHE, or the
// user cache directory).
func cacheDir() string {
	if d := os.Getenv("WARDEN_WAZERO_CACHE"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "warden", "wazero")
	}
	return ""
}

func testRuntime(t *testing.T, opts ...Option) *Runtime {
	t.Helper()
	if len(opts) > 0 {
		rt, err := NewRuntime(context.Background(), append(opts, WithCompilationCacheDir(cacheDir()))...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = rt.Close(context.Background()) })
		return rt
	}
	sharedOnce.Do(func() {
		shared, sharedErr = NewRuntime(context.Background(), WithCompilationCacheDir(cacheDir()))
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared
}

var ada = map[string]any{"firstName": "Ada", "lastName": "Lovelace", "email": "not-an-email",
	"password": "Tr0ub4dor&3x!", "organization": "acme"}

func TestValidateAndPassword(t *testing.T) {
	ctx := context.Background()
	w, err := testRuntime(t).LoadPreset(ctx, "production-planner-pro")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	d, err := w.Validate(ctx, ValidateInput{User: ada, Today: today})
	if err != nil {
		t.Fatal(err)
	}
	vs, _ := d["violations"].([]any)
	if d["valid"] != false || len(vs) != 1 || vs[0].(map[string]any)["code"] != "invalid_email" {
		t.Fatalf("unexpected decision %v", d)
	}
	if p, _ := d["policy"].(string); !strings.HasPrefix(p, "sha256:") {
		t.Fatalf("no policy hash in %v", d)
	}
	fr, err := w.Validate(ctx, ValidateInput{User: ada, Today: today, Lang: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	if fr["violations"].([]any)[0].(map[string]any)["message"] == vs[0].(map[string]any)["message"] {
		t.Fatal("the French message is the English one")
	}
	p, err := w.CheckPassword(ctx, PasswordInput{Password: "password"})
	if err != nil || p["valid"] != false {
		t.Fatalf("weak password: %v %v", p, err)
	}
}

func TestAuthorizeScopeTransitionLogin(t *testing.T) {
	ctx := context.Background()
	rt := testRuntime(t)
	hr, err := rt.LoadPreset(ctx, "hr-platform")
	if err != nil {
		t.Fatal(err)
	}
	defer hr.Close()
	actor := map[string]any{"id": "m1", "organization": "hr", "manager": "d1", "roles": []string{"manager"}}
	d, err := hr.Authorize(ctx, AuthorizeInput{Actor: actor, Action: "users.read",
		Target: map[string]any{"id": "e1", "organization": "hr", "manager": "m1"}, Now: now})
	if err != nil || d["decision"] != "allow" || d["scope"] != "team" {
		t.Fatalf("authorize: %v %v", d, err)
	}
	s, err := hr.Scope(ctx, ScopeInput{Actor: actor, Action: "users.read", Now: now, SQL: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	if sql, _ := s["sql"].(map[string]any); sql == nil || sql["sql"] == "" {
		t.Fatalf("scope without SQL: %v", s)
	}
	rent, err := rt.LoadPreset(ctx, "rental-platform")
	if err != nil {
		t.Fatal(err)
	}
	defer rent.Close()
	tr, err := rent.Transition(ctx, map[string]any{
		"actor":  map[string]any{"id": "adm", "organization": "rent", "roles": []string{"administrator"}},
		"target": map[string]any{"id": "c1", "organization": "rent", "roles": []string{"customer"}},
		"to":     "suspended", "durationDays": 7}, now)
	if err != nil || tr["deny"].(map[string]any)["code"] != "reason_required" {
		t.Fatalf("transition: %v %v", tr, err)
	}
	// The same refusal in French: the same code, another message.
	trFr, err := rent.TransitionLang(ctx, map[string]any{
		"actor":  map[string]any{"id": "adm", "organization": "rent", "roles": []string{"administrator"}},
		"target": map[string]any{"id": "c1", "organization": "rent", "roles": []string{"customer"}},
		"to":     "suspended", "durationDays": 7}, now, "fr")
	denyEn, _ := tr["deny"].(map[string]any)
	denyFr, _ := trFr["deny"].(map[string]any)
	if err != nil || denyFr["code"] != "reason_required" || denyFr["message"] == denyEn["message"] || denyFr["message"] == "" {
		t.Fatalf("transition in French: %v / %v %v", denyFr, denyEn, err)
	}
	ppp, err := rt.LoadPreset(ctx, "000")
	if err != nil {
		t.Fatal(err)
	}
	defer ppp.Close()
	l, err := ppp.Login(ctx, LoginInput{Account: map[string]any{"id": "u1", "organization": "acme", "status": "inactive"},
		Organization: map[string]any{"id": "acme", "active": true}, Now: now})
	if err != nil || l["decision"] != "deny" || l["deny"].(map[string]any)["code"] != "status_inactive" {
		t.Fatalf("login: %v %v", l, err)
	}
}

func TestTypedErrors(t *testing.T) {
	ctx := context.Background()
	rt := testRuntime(t)
	_, err := rt.LoadPreset(ctx, "acme-corp")
	var werr *Error
	if !errors.As(err, &werr) || werr.Code != "policy_error" || werr.Path != "" || !strings.Contains(werr.Help, "crm") {
		t.Fatalf("unknown preset: %#v", err)
	}
	w, err := rt.LoadPreset(ctx, "production-planner-pro")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	_, err = w.Validate(ctx, ValidateInput{User: ada, Today: "yesterday"})
	if !errors.As(err, &werr) || werr.Code != "invalid_input" || werr.Path != "input.today" {
		t.Fatalf("bad date: %#v", err)
	}
	_, err = w.EvaluateRequest(ctx, map[string]any{"preset": "crm", "op": "password", "input": map[string]any{"password": "x"}})
	if !errors.As(err, &werr) || werr.Path != "preset" {
		t.Fatalf("a request naming a policy: %#v", err)
	}
	hr, err := rt.LoadPreset(ctx, "hr-platform")
	if err != nil {
		t.Fatal(err)
	}
	defer hr.Close()
	if _, err = hr.CheckPassword(ctx, PasswordInput{Password: "x"}); !errors.As(err, &werr) || werr.Code != "unsupported" {
		t.Fatalf("password without a password policy: %#v", err)
	}
	if _, err = rt.LoadPolicy(ctx, []byte(`{"warden": 99}`)); !errors.As(err, &werr) || werr.Code != "policy_error" {
		t.Fatalf("bad policy: %#v", err)
	}
	if _, err = NewRuntime(ctx, WithPoolSize(0), WithTimeout(-1)); !errors.Is(err, ErrInvalidConfig) ||
		!strings.Contains(err.Error(), "pool size") {
		t.Fatalf("the first bad option: %v", err)
	}
	if _, err = rt.LoadPreset(ctx, "crm", WithPoolWait(0)); !errors.Is(err, ErrInvalidConfig) ||
		!strings.Contains(err.Error(), "pool wait") {
		t.Fatalf("a pool wait of 0: %v", err)
	}
	// A runtime's option given to Load* is refused, not ignored.
	if _, err = rt.LoadPreset(ctx, "crm", WithMaxMemory(32<<20)); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("a runtime option on Load: %v", err)
	}
	// A password never prints.
	in := PasswordInput{Password: "Violet-Kettle-42!x"}
	for _, text := range []string{fmt.Sprint(in), fmt.Sprintf("%+v", in), fmt.Sprintf("%#v", in)} {
		if strings.Contains(text, "Violet") {
			t.Fatalf("the password printed: %s", text)
		}
	}
}

// No input that can hold a user record or a password prints or logs it, whatever the verb
// (%v, %+v, %#v, %s, %d, %x, %q), nested in another value or through log/slog.
func TestInputsNeverPrintAUserRecordOrAPassword(t *testing.T) {
	const secret = "Violet-Kettle-42!x"
	user := map[string]any{"firstName": "Ada", "password": secret}
	inputs := []any{
		ValidateInput{User: user, Today: today, Facts: map[string]any{"unique": secret}},
		PasswordInput{Password: secret, User: user},
		AuthorizeInput{Actor: user, Action: "users.update", Target: user, Change: user,
			Directory: []any{user}, Now: now},
		ScopeInput{Actor: user, Action: "users.read", Now: now, SQL: map[string]any{"x": secret}},
		LoginInput{Account: user, Organization: user, Facts: user, Now: now},
	}
	for _, in := range inputs {
		var texts []string
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%q", "%10.3v"} {
			texts = append(texts, fmt.Sprintf(verb, in), fmt.Sprintf(verb, &in),
				fmt.Sprintf(verb, []any{in}), fmt.Sprintf(verb, struct{ In any }{in}))
		}
		var logged strings.Builder
		slog.New(slog.NewJSONHandler(&logged, nil)).Info("call", "input", in)
		slog.New(slog.NewTextHandler(&logged, nil)).Info("call", "input", in)
		texts = append(texts, fmt.Sprint(in), fmt.Sprintln(in), logged.String())
		for _, text := range texts {
			if strings.Contains(text, secret) || strings.Contains(text, "Ada") ||
				strings.Contains(strings.ToLower(text), strings.ToLower(hexOf(secret))) {
				t.Fatalf("%T printed a user record or password: %s", in, text)
			}
		}
	}
	for _, in := range []any{&ValidateInput{User: user}, &PasswordInput{Password: secret},
		&AuthorizeInput{Actor: user}, &ScopeInput{Actor: user}, &LoginInput{Account: user}} {
		if text := fmt.Sprintf("%+v %d", in, in); strings.Contains(text, secret) {
			t.Fatalf("%T printed a password: %s", in, text)
		}
	}
	// What is not secret still prints.
	if text := fmt.Sprintf("%+v", ValidateInput{User: user, Today: today, Mode: "update"}); !strings.Contains(text, today) ||
		!strings.Contains(text, "update") || !strings.Contains(text, "2 fields") {
		t.Fatalf("ValidateInput: %s", text)
	}
}

func hexOf(s string) string { return fmt.Sprintf("%x", s) }

func TestDeadlineIsAFaultAndTheInstanceIsReplaced(t *testing.T) {
	ctx := context.Background()
	rt := testRuntime(t)
	w, err := rt.LoadPreset(ctx, "crm", WithPoolSize(1))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	short, cancel := context.WithTimeout(ctx, time.Nanosecond)
	defer cancel()
	time.Sleep(time.Millisecond)
	_, err = w.CheckPassword(short, PasswordInput{Password: "correct horse battery staple"})
	var f *Fault
	if !errors.As(err, &f) || f.Code != FaultDeadline {
		t.Fatalf("expired context: %#v", err)
	}
	// A call interrupted mid-way by the runtime's own timeout.
	quick, err := rt.LoadPreset(ctx, "crm", WithPoolSize(1), WithTimeout(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer quick.Close()
	quick.pool.timeout = time.Microsecond
	for it := range quick.pool.idle {
		it.in.timeout = time.Microsecond
		quick.pool.idle <- it
		break
	}
	big := make([]any, 2000)
	for i := range big {
		big[i] = map[string]any{"id": i, "organization": "acme", "status": "active"}
	}
	_, err = quick.Evaluate(ctx, "statistics", map[string]any{"accounts": big, "now": now}, "")
	if !errors.As(err, &f) || f.Code != FaultDeadline {
		t.Fatalf("runtime timeout: %#v", err)
	}
	quick.pool.timeout = time.Hour
	if d, err := quick.CheckPassword(ctx, PasswordInput{Password: "correct horse battery staple"}); err != nil || d["policy"] == nil {
		t.Fatalf("after a fault the pool gives a fresh instance: %v %v", d, err)
	}
}

func TestMemoryIsCapped(t *testing.T) {
	ctx := context.Background()
	rt := testRuntime(t, WithMaxMemory(64<<20))
	w, err := rt.LoadPreset(ctx, "crm", WithPoolSize(1))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	// The 40 MiB request fits in the buffer; the module's copy of it inside the call does not,
	// and it aborts (an `unreachable` trap): "aborted", as in Python and Java.
	_, err = w.CheckPassword(ctx, PasswordInput{Password: strings.Repeat("x", 40<<20)})
	var f *Fault
	if !errors.As(err, &f) || f.Code != FaultAborted {
		t.Fatalf("a request above the memory cap: %#v", err)
	}
	if _, err := w.CheckPassword(ctx, PasswordInput{Password: "correct horse battery staple"}); err != nil {
		t.Fatal(err)
	}
}

// oneWarmInstance loads the crm preset with a pool of one instance (closed at the test's
// end) and makes one small request, which keeps its instance: the Warden and that request.
func oneWarmInstance(t *testing.T, rt *Runtime) (*Warden, PasswordInput) {
	t.Helper()
	ctx := context.Background()
	w, err := rt.LoadPreset(ctx, "crm", WithPoolSize(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	small := PasswordInput{Password: "correct horse battery staple"}
	if _, err := w.CheckPassword(ctx, small); err != nil || len(w.pool.idle) != 1 {
		t.Fatalf("a small request keeps its instance: %v, %d idle", err, len(w.pool.idle))
	}
	return w, small
}

func TestAnInstanceALargeRequestGrewIsNotKept(t *testing.T) {
	ctx := context.Background()
	w, small := oneWarmInstance(t, testRuntime(t, WithMaxMemory(32<<20)))
	// A request of 10 MiB grows the instance's memory past a quarter of 32 MiB.
	if _, err := w.CheckPassword(ctx, PasswordInput{Password: strings.Repeat("x", 10<<20)}); err != nil {
		t.Fatal(err)
	}
	if n := len(w.pool.idle); n != 0 {
		t.Fatalf("%d idle instances after a large request", n)
	}
	if _, err := w.CheckPassword(ctx, small); err != nil || len(w.pool.idle) != 1 {
		t.Fatalf("a fresh instance afterwards: %v, %d idle", err, len(w.pool.idle))
	}
}

func TestARequestAboveTheModulesLimitIsARefusalAndTheInstanceIsKept(t *testing.T) {
	ctx := context.Background()
	w, small := oneWarmInstance(t, testRuntime(t))
	warm := <-w.pool.idle
	w.pool.idle <- warm
	// One string field of 64 MiB: with the rest of the request, just above the limit.
	user := map[string]any{"firstName": strings.Repeat("x", MaxRequestBytes), "lastName": "Lovelace"}
	_, err := w.Validate(ctx, ValidateInput{User: user, Today: today})
	var werr *Error
	if !errors.As(err, &werr) || werr.Code != "limit_exceeded" || werr.Path != "" {
		t.Fatalf("a request above 64 MiB: %v", err)
	}
	var f *Fault
	if errors.As(err, &f) {
		t.Fatalf("a refusal, not a fault: %v", err)
	}
	if want := fmt.Sprintf("a request has at most %d bytes; this one has ", 64<<20); !strings.HasPrefix(werr.Message, want) {
		t.Fatalf("message %q", werr.Message)
	}
	// The warm instance was neither discarded nor replaced, and serves the next call.
	if d, err := w.CheckPassword(ctx, small); err != nil || d["policy"] != w.PolicyHash() {
		t.Fatalf("the next call: %v %v", d, err)
	}
	if n := len(w.pool.idle); n != 1 {
		t.Fatalf("%d idle instances after the refusal", n)
	}
	if it := <-w.pool.idle; it != warm || it.in.mod.IsClosed() {
		t.Fatal("the warm instance was replaced")
	} else {
		w.pool.idle <- it
	}
}

// abiModule is a module that exports only memory and the version globals, at major.
func abiModule(major byte) []byte {
	name := func(s string) []byte { return append([]byte{byte(len(s))}, s...) }
	section := func(id byte, body []byte) []byte { return append([]byte{id, byte(len(body))}, body...) }
	exports := []byte{3}
	exports = append(append(exports, name("memory")...), 2, 0)
	exports = append(append(exports, name("warden_abi_major")...), 3, 0)
	exports = append(append(exports, name("warden_abi_minor")...), 3, 1)
	m := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	m = append(m, section(5, []byte{1, 0, 1})...)
	m = append(m, section(6, []byte{2, 0x7f, 0, 0x41, 16, 0x0b, 0x7f, 0, 0x41, 20, 0x0b})...)
	m = append(m, section(7, exports)...)
	m = append(m, section(11, []byte{1, 0, 0x41, 16, 0x0b, 8, major, 0, 0, 0, 3, 0, 0, 0})...)
	return m
}

func TestABIVersionIsCheckedFirst(t *testing.T) {
	ctx := context.Background()
	rt, err := NewRuntime(ctx, WithModule(abiModule(2)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rt.Close(ctx) }()
	_, err = rt.LoadPreset(ctx, "crm")
	var f *Fault
	if !errors.As(err, &f) || f.Code != FaultABIMismatch || !strings.Contains(f.Error(), "ABI 2.3") {
		t.Fatalf("a module of ABI 2: %#v", err)
	}
}

// A call waiting for an instance with a context that has no deadline gets FaultPoolTimeout
// once the pool's wait (WithPoolWait) passes, instead of waiting for ever; the instance,
// held meanwhile by another call, goes back to the pool and serves the next call.
func TestThePoolWaitIsBounded(t *testing.T) {
	ctx := context.Background()
	rt := testRuntime(t)
	const wait = 100 * time.Millisecond
	w, err := rt.LoadPreset(ctx, "crm", WithPoolSize(1), WithPoolWait(wait))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	held, release := make(chan struct{}), make(chan struct{})
	holder := make(chan error, 1)
	go func() {
		holder <- w.pool.with(ctx, func(*pooled) error { close(held); <-release; return nil })
	}()
	<-held
	began := time.Now()
	result := make(chan error, 1)
	go func() {
		_, err := w.CheckPassword(ctx, PasswordInput{Password: "correct horse battery staple"})
		result <- err
	}()
	select {
	case err := <-result:
		var f *Fault
		if !errors.As(err, &f) || f.Code != FaultPoolTimeout {
			t.Fatalf("a call on a pool with no free instance: %#v", err)
		}
		if waited := time.Since(began); waited < wait {
			t.Errorf("pool_timeout after %v, before the wait of %v", waited, wait)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a call with context.Background() still waits for an instance after 5 s")
	}
	close(release)
	if err := <-holder; err != nil {
		t.Fatal(err)
	}
	if _, err := w.CheckPassword(ctx, PasswordInput{Password: "correct horse battery staple"}); err != nil {
		t.Fatalf("the instance held went back to the pool: %v", err)
	}
}

func TestPoolIsBoundedAndConcurrent(t *testing.T) {
	ctx := context.Background()
	w, err := testRuntime(t).LoadPreset(ctx, "crm", WithPoolSize(2))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				if _, err := w.CheckPassword(ctx, PasswordInput{Password: "correct horse battery staple"}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := len(w.pool.idle); n > 2 {
		t.Fatalf("%d idle instances in a pool of 2", n)
	}
	w.Close()
	var f *Fault
	if _, err := w.CheckPassword(ctx, PasswordInput{Password: "x"}); !errors.As(err, &f) || f.Code != FaultClosed {
		t.Fatalf("after Close: %#v", err)
	}
}

// Strings that are not valid UTF-8 are refused at their path: json.Marshal would replace
// their bad bytes with U+FFFD, and the verdict would be about another string.
func TestInvalidUTF8IsInvalidInputAtItsPath(t *testing.T) {
	ctx := context.Background()
	rt := testRuntime(t)
	w, err := rt.LoadPreset(ctx, "production-planner-pro")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	user := func(k string, v any) map[string]any {
		u := map[string]any{}
		for kk, vv := range ada {
			u[kk] = vv
		}
		u[k] = v
		return u
	}
	actor := map[string]any{"id": "a", "organization": "acme", "roles": []any{"administrator"}}
	calls := []struct {
		path string
		call func() (Decision, error)
	}{
		{"input.password", func() (Decision, error) {
			return w.CheckPassword(ctx, PasswordInput{Password: strings.Repeat("\xff", 10)})
		}},
		{"input.user.firstName", func() (Decision, error) {
			return w.Validate(ctx, ValidateInput{User: user("firstName", "Ada\xc3"), Today: today})
		}},
		{`input.user.x\xff`, func() (Decision, error) {
			return w.Validate(ctx, ValidateInput{User: user("x\xff", "y"), Today: today})
		}},
		{"input.user.tags[1]", func() (Decision, error) {
			return w.Validate(ctx, ValidateInput{User: user("tags", []string{"ok", "\xed\xa0\x80"}), Today: today})
		}},
		{"input.directory[1].id", func() (Decision, error) {
			return w.Authorize(ctx, AuthorizeInput{Actor: actor, Action: "users.read", Now: now,
				Target:    map[string]any{"id": "t", "organization": "acme"},
				Directory: []any{map[string]any{"id": "ok"}, map[string]any{"id": "b\xfe"}}})
		}},
		{"input.user.password", func() (Decision, error) {
			return rt.Evaluate(ctx, map[string]any{"preset": "crm", "op": "validate",
				"input": map[string]any{"today": today, "user": map[string]any{"password": "\x80"}}})
		}},
		{"lang", func() (Decision, error) {
			return w.Evaluate(ctx, "password", map[string]any{"password": "x"}, "f\xffr")
		}},
	}
	for _, c := range calls {
		d, err := c.call()
		var werr *Error
		if !errors.As(err, &werr) || werr.Code != "invalid_input" || werr.Path != c.path {
			t.Fatalf("%s: want invalid_input, got %v %#v", c.path, d, err)
		}
	}
	_, err = rt.LoadPolicy(ctx, []byte("{\"warden\": 1, \"name\": \"\xff\"}"))
	var werr *Error
	if !errors.As(err, &werr) || werr.Code != "invalid_input" || werr.Path != "policy" {
		t.Fatalf("a policy document that is not UTF-8: %#v", err)
	}
	// Valid UTF-8 (multi-byte included) goes through, and the instance is still usable.
	if d, err := w.CheckPassword(ctx, PasswordInput{Password: "Tr0ub4dor&3x!é€𝄞"}); err != nil || d["valid"] != true {
		t.Fatalf("a valid password: %v %v", d, err)
	}
}

// NaN and infinities are refused at their path: json.Marshal fails on the whole request
// ("json: unsupported value: NaN") without saying where.
func TestNonFiniteNumbersAreInvalidInputAtTheirPath(t *testing.T) {
	ctx := context.Background()
	rt := testRuntime(t)
	w, err := rt.LoadPreset(ctx, "production-planner-pro")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	user := func(k string, v any) map[string]any {
		u := map[string]any{}
		for kk, vv := range ada {
			u[kk] = vv
		}
		u[k] = v
		return u
	}
	type record struct {
		Score float32 `json:"score"`
	}
	actor := map[string]any{"id": "a", "organization": "acme", "roles": []any{"administrator"}}
	calls := []struct {
		path string
		call func() (Decision, error)
	}{
		{"input.user.firstName", func() (Decision, error) {
			return w.Validate(ctx, ValidateInput{User: user("firstName", math.NaN()), Today: today})
		}},
		{"input.facts.lockouts", func() (Decision, error) {
			return w.Validate(ctx, ValidateInput{User: ada, Today: today,
				Facts: map[string]any{"lockouts": math.Inf(1)}})
		}},
		{"input.user.x[1]", func() (Decision, error) {
			return w.Validate(ctx, ValidateInput{User: user("x", []float64{1.5, math.Inf(-1)}), Today: today})
		}},
		{"input.user.x.score", func() (Decision, error) {
			return w.Validate(ctx, ValidateInput{User: user("x", &record{Score: float32(math.NaN())}), Today: today})
		}},
		{"input.user.age", func() (Decision, error) {
			return w.CheckPassword(ctx, PasswordInput{Password: "Tr0ub4dor&3x!",
				User: map[string]any{"age": math.NaN()}})
		}},
		{"input.directory[0].n", func() (Decision, error) {
			return w.Authorize(ctx, AuthorizeInput{Actor: actor, Action: "users.read", Now: now,
				Target:    map[string]any{"id": "t", "organization": "acme"},
				Directory: []any{map[string]any{"n": math.Inf(1)}}})
		}},
		{"input.n", func() (Decision, error) {
			return rt.Evaluate(ctx, map[string]any{"preset": "crm", "op": "password",
				"input": map[string]any{"password": "x", "n": math.NaN()}})
		}},
	}
	for _, c := range calls {
		d, err := c.call()
		var werr *Error
		if !errors.As(err, &werr) || werr.Code != "invalid_input" || werr.Path != c.path ||
			!strings.Contains(werr.Message, "finite") {
			t.Fatalf("%s: want invalid_input, got %v %#v", c.path, d, err)
		}
		if strings.Contains(err.Error(), "Tr0ub4dor") {
			t.Fatalf("%s: the password is in the error: %v", c.path, err)
		}
	}
	// Finite floats, the largest included, go through, and the instance is still usable.
	if d, err := w.CheckPassword(ctx, PasswordInput{Password: "Tr0ub4dor&3x!",
		User: map[string]any{"age": math.MaxFloat64}}); err != nil || d["policy"] == nil {
		t.Fatalf("a finite float: %v %v", d, err)
	}
}

// Close is idempotent and safe concurrently with other Close calls and with calls in
// flight: no "close of closed channel" panic, and no instance is left idle (unclosed).
// The pools hold instances of an empty module, so that many rounds are cheap.
func TestCloseIsIdempotentAndConcurrent(t *testing.T) {
	ctx := context.Background()
	rt := testRuntime(t)
	tiny := wazero.NewRuntime(ctx)
	defer func() { _ = tiny.Close(ctx) }()
	empty, err := tiny.CompileModule(ctx, []byte("\x00asm\x01\x00\x00\x00"))
	if err != nil {
		t.Fatal(err)
	}
	const size = 4
	for round := 0; round < 20000; round++ {
		p := newPool(rt, nil, config{poolSize: size, timeout: time.Second})
		var mods []api.Module
		for i := 0; i < size; i++ {
			mod, err := tiny.InstantiateModule(ctx, empty, wazero.NewModuleConfig().WithName(""))
			if err != nil {
				t.Fatal(err)
			}
			mods = append(mods, mod)
			p.idle <- &pooled{in: &instance{mod: mod}}
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		for g := 0; g < size; g++ {
			wg.Add(2)
			go func() {
				defer wg.Done()
				<-start
				for i := 0; i < 3; i++ {
					_ = p.with(ctx, func(*pooled) error { return nil })
				}
			}()
			go func() {
				defer wg.Done()
				<-start
				p.close()
			}()
		}
		close(start)
		wg.Wait()
		if n := len(p.idle); n != 0 {
			t.Fatalf("round %d: %d instances left idle after Close", round, n)
		}
		for i, mod := range mods {
			if !mod.IsClosed() {
				t.Fatalf("round %d: instance %d was never closed", round, i)
			}
		}
	}
	// An instance handed back while Close runs is closed, not pooled.
	w, err := rt.LoadPreset(ctx, "crm", WithPoolSize(1))
	if err != nil {
		t.Fatal(err)
	}
	var lent *pooled
	if err := w.pool.with(ctx, func(it *pooled) error {
		lent = it
		w.Close()
		w.Close()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !lent.in.mod.IsClosed() || len(w.pool.idle) != 0 {
		t.Fatal("an instance returned after Close was not closed")
	}
}
