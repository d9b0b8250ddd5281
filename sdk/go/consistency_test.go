package warden

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// wantInvalid fails unless err is an *Error with code invalid_input at path.
func wantInvalid(t *testing.T, what string, d Decision, err error, path string) {
	t.Helper()
	var werr *Error
	if !errors.As(err, &werr) || werr.Code != "invalid_input" || werr.Path != path {
		t.Fatalf("%s: want invalid_input at %q, got %v %#v", what, path, d, err)
	}
}

// The module's common-password list is static data (laid out at compile time), so a fresh
// instance's first password check costs what any later one does: a deadline sized from
// normal calls works from the first call of each instance on, the instance's instantiation
// and policy load included.
func TestADeadlineSizedFromNormalCallsIsEnough(t *testing.T) {
	ctx := context.Background()
	rt := testRuntime(t)
	w, err := rt.LoadPreset(ctx, "production-planner-pro", WithPoolSize(1), WithTimeout(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	user := map[string]any{"firstName": "Ada", "lastName": "Lovelace", "email": "ada@acme.example",
		"password": "Tr0ub4dor&3x!", "organization": "acme"}
	for i := range 3 {
		call, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		d, err := w.CheckPassword(call, PasswordInput{Password: "password"})
		cancel()
		if err != nil || d["valid"] != false {
			t.Fatalf("password check %d under a 20 ms deadline: %v %v", i, d, err)
		}
		call, cancel = context.WithTimeout(ctx, 20*time.Millisecond)
		d, err = w.Validate(call, ValidateInput{User: user, Today: today})
		cancel()
		if err != nil || d["valid"] != true {
			t.Fatalf("call %d under a 20 ms deadline: %v %v", i, d, err)
		}
	}
	// The one-shot pool's instances too (the policy compiled per call is in the budget).
	raw := testRuntime(t, WithTimeout(30*time.Millisecond))
	d, err := raw.Evaluate(ctx, map[string]any{"preset": "crm", "op": "password",
		"input": map[string]any{"password": "password"}})
	if err != nil || d["valid"] != false {
		t.Fatalf("one-shot under a 30 ms timeout: %v %v", d, err)
	}
}

// A []byte would be sent as its base64 text: a password given as bytes would be judged on
// that. It is refused at its path, as Python refuses bytes and Java byte[].
func TestByteSlicesAreInvalidInputAtTheirPath(t *testing.T) {
	ctx := context.Background()
	rt := testRuntime(t)
	w, err := rt.LoadPreset(ctx, "production-planner-pro")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	user := map[string]any{"firstName": []byte("Ada"), "tags": []any{"a", []byte("b")}}
	d, err := w.Validate(ctx, ValidateInput{User: map[string]any{"password": []byte("hunter2-Secret")}, Today: today})
	wantInvalid(t, "a password as bytes", d, err, "input.user.password")
	if strings.Contains(err.Error(), "aHVudGVy") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("the error holds the value: %v", err)
	}
	d, err = w.Validate(ctx, ValidateInput{User: map[string]any{"firstName": "Ada", "tags": user["tags"]}, Today: today})
	wantInvalid(t, "bytes in a list", d, err, "input.user.tags[1]")
	d, err = w.Evaluate(ctx, "password", map[string]any{"password": []byte("x")}, "")
	wantInvalid(t, "bytes in any input", d, err, "input.password")
	// json.RawMessage is a []byte that writes itself: sent as the JSON it holds.
	d, err = w.Evaluate(ctx, "password", json.RawMessage(`{"password":"Tr0ub4dor&3x!"}`), "")
	if err != nil || d["valid"] != true {
		t.Fatalf("a json.RawMessage input: %v %v", d, err)
	}
}

// What json.Marshal cannot write at all is refused at its path, not at "".
func TestUnwritableValuesAreInvalidInputAtTheirPath(t *testing.T) {
	ctx := context.Background()
	rt := testRuntime(t)
	w, err := rt.LoadPreset(ctx, "production-planner-pro")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for name, v := range map[string]any{
		"chan": make(chan int), "func": func() {}, "complex": complex(1, 2),
		"map[bool]": map[bool]string{true: "x"}, "map[float64]": map[float64]int{1.5: 1},
	} {
		d, err := w.Validate(ctx, ValidateInput{User: map[string]any{"firstName": v}, Today: today})
		wantInvalid(t, name, d, err, "input.user.firstName")
	}
	// Integer keys and keys that marshal themselves as text are JSON keys.
	if _, err := w.Validate(ctx, ValidateInput{User: map[string]any{"x": map[int]string{1: "a"}}, Today: today}); err != nil {
		var werr *Error
		if !errors.As(err, &werr) || werr.Path == "input.user.x" && strings.Contains(werr.Message, "key of type") {
			t.Fatalf("an int-keyed map: %#v", err)
		}
	}
}

// Duplicate keys in a policy text are the module's to refuse (the text is sent as written);
// Python and Java send the text as written too.
func TestDuplicateKeysInAPolicyTextAreRefused(t *testing.T) {
	_, err := testRuntime(t).LoadPolicy(context.Background(),
		[]byte(`{"warden": 1, "name": "x", "fields": {"firstName": {"maxLength": 3, "maxLength": 4}}}`))
	wantInvalid(t, "a duplicate key", nil, err, "policy.fields.firstName")
	if !strings.Contains(err.(*Error).Message, "duplicate key `maxLength`") {
		t.Fatalf("message: %v", err)
	}
}

// A float holding a whole number is sent as that integer (encoding/json writes 7.0 as 7),
// as Python and Java send it; 7.5 and -0 stay floats, refused where a count is expected.
func TestWholeFloatsAreSentAsIntegers(t *testing.T) {
	ctx := context.Background()
	rent, err := testRuntime(t).LoadPreset(ctx, "rental-platform")
	if err != nil {
		t.Fatal(err)
	}
	defer rent.Close()
	request := func(days any) map[string]any {
		return map[string]any{
			"actor":  map[string]any{"id": "adm", "organization": "rent", "roles": []string{"administrator"}},
			"target": map[string]any{"id": "c1", "organization": "rent", "roles": []string{"customer"}},
			"to":     "suspended", "durationDays": days}
	}
	for _, days := range []any{7, 7.0, float32(7)} {
		d, err := rent.Transition(ctx, request(days), now)
		if err != nil || d["deny"].(map[string]any)["code"] != "reason_required" {
			t.Fatalf("durationDays %v: %v %v", days, d, err)
		}
	}
	for _, days := range []any{7.5, math.Copysign(0, -1), 1e21} {
		d, err := rent.Transition(ctx, request(days), now)
		wantInvalid(t, "a float count", d, err, "input.durationDays")
	}
}

// A nil transition request is refused at "input", as Python and Java refuse a request that
// is not an object.
func TestANilTransitionRequestIsInvalidInputAtInput(t *testing.T) {
	ctx := context.Background()
	rent, err := testRuntime(t).LoadPreset(ctx, "rental-platform")
	if err != nil {
		t.Fatal(err)
	}
	defer rent.Close()
	d, err := rent.Transition(ctx, nil, now)
	wantInvalid(t, "Transition(nil)", d, err, "input")
	d, err = rent.TransitionLang(ctx, nil, now, "fr")
	wantInvalid(t, "TransitionLang(nil)", d, err, "input")
}
