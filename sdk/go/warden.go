// Package warden is Warden's policy kernel for Go: the portable core module
// (component/ABI.md) run by wazero, pure Go without cgo, with the very code the native CLI
// runs.
//
//	rt, err := warden.NewRuntime(ctx)                 // compile once per process
//	w, err := rt.LoadPreset(ctx, "production-planner-pro")
//	d, err := w.Validate(ctx, warden.ValidateInput{User: user, Today: "2026-11-22"})
//	d["valid"]                                        // false
//
// Decisions are the contract's JSON as a Decision (map[string]any). A request that cannot
// be evaluated returns an *Error (code, path, message, help); a call the module could not
// run returns a *Fault. A Warden is safe for concurrent use: it lends each call an instance
// from a bounded pool (GOMAXPROCS by default), each holding the policy compiled once.
package warden

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"unicode/utf8"
)

// Decision is a decision of the contract, as decoded JSON.
type Decision = map[string]any

// Warden is a compiled policy and a bounded pool of instances holding it.
type Warden struct {
	pool   *pool
	policy string
}

// LoadPreset compiles a preset by name ("crm") or seed number ("003").
func (r *Runtime) LoadPreset(ctx context.Context, name string, opts ...Option) (*Warden, error) {
	return r.load(ctx, map[string]any{"preset": name}, opts)
}

// LoadPolicy compiles a policy document (JSON text, "warden": 1).
func (r *Runtime) LoadPolicy(ctx context.Context, document []byte, opts ...Option) (*Warden, error) {
	if !json.Valid(document) {
		return nil, &Error{Code: "invalid_input", Path: "policy", Message: "the policy document is not JSON"}
	}
	if !utf8.Valid(document) {
		return nil, &Error{Code: "invalid_input", Path: "policy", Message: "the policy document is not valid UTF-8"}
	}
	return r.load(ctx, map[string]any{"policy": json.RawMessage(document)}, opts)
}

func (r *Runtime) load(ctx context.Context, spec map[string]any, opts []Option) (*Warden, error) {
	cfg := newConfig(r.cfg, opts)
	if cfg.err != nil {
		return nil, cfg.err
	}
	// The memory cap, the module and its cache are the runtime's: given to Load*, they
	// would be silently ignored (an untrusted tenant's policy left without the cap asked).
	if cfg.maxMemory != r.cfg.maxMemory || cfg.cacheDir != r.cfg.cacheDir ||
		!bytes.Equal(cfg.wasm, r.cfg.wasm) {
		return nil, fmt.Errorf("%w: WithMaxMemory, WithModule and WithCompilationCacheDir are options of NewRuntime, not of Load*", ErrInvalidConfig)
	}
	w := &Warden{pool: newPool(r, spec, cfg)}
	// Compile once now, so that a bad policy fails here and not at the first call.
	if err := w.pool.with(ctx, func(it *pooled) error {
		w.policy = it.policy
		return nil
	}); err != nil {
		return nil, err
	}
	return w, nil
}

// PolicyHash is the loaded policy's hash ("sha256:" and 64 hex digits) as the module
// reported it on loading: the hash every decision carries in "policy" (the module exposes
// no name or version of the policy).
func (w *Warden) PolicyHash() string { return w.policy }

// Close releases the pooled instances; later calls return an error matching ErrClosed (a
// *Fault with code FaultClosed); calls in flight complete. Closing again does nothing.
func (w *Warden) Close() { w.pool.close() }

// EvaluateRequest runs any contract request without "preset"/"policy": {op, lang?, input}.
func (w *Warden) EvaluateRequest(ctx context.Context, request any) (Decision, error) {
	return w.pool.evaluate(ctx, request)
}

// Evaluate runs any operation of the contract ("import", "bulk", "delete", ...); lang is
// "en", "fr" or "" for the default.
func (w *Warden) Evaluate(ctx context.Context, op string, input any, lang string) (Decision, error) {
	req := map[string]any{"op": op, "input": input}
	if lang != "" {
		req["lang"] = lang
	}
	return w.EvaluateRequest(ctx, req)
}

// The inputs that can hold a user record or a password (ValidateInput, PasswordInput,
// AuthorizeInput, ScopeInput, LoginInput) never print or log it: their String, GoString,
// Format (every verb of fmt, so that %d or %x print no field either) and LogValue (log/slog)
// show each record as its number of fields, the password and the directory as <redacted>,
// and only the other options (dates, action, mode, language) as they are.

// formatRedacted writes an input's redacted text for any verb of fmt (%q quotes it).
func formatRedacted(f fmt.State, verb rune, text string) {
	if verb == 'q' {
		text = strconv.Quote(text)
	}
	_, _ = io.WriteString(f, text)
}

// redactedAny stands for a value that may hold records (a directory).
func redactedAny(v any) string {
	if v == nil {
		return "nil"
	}
	return "<redacted>"
}

// ValidateInput is the input of Validate. It never prints or logs the record or the facts
// (String, GoString, Format, LogValue show their number of fields).
type ValidateInput struct {
	User  map[string]any `json:"user"`
	Today string         `json:"today"`
	Mode  string         `json:"mode,omitempty"`
	Facts map[string]any `json:"facts,omitempty"`
	MFA   bool           `json:"mfa,omitempty"`
	Lang  string         `json:"-"`
}

// String prints the input without the record's or the facts' values (fmt's %v and %s).
func (in ValidateInput) String() string {
	return fmt.Sprintf("ValidateInput{User: %d fields, Today: %q, Mode: %q, Facts: %d fields, MFA: %t, Lang: %q}",
		len(in.User), in.Today, in.Mode, len(in.Facts), in.MFA, in.Lang)
}

// GoString prints the input without the record's or the facts' values (fmt's %#v).
func (in ValidateInput) GoString() string { return in.String() }

// Format prints the input without the record's or the facts' values, whatever the verb.
func (in ValidateInput) Format(f fmt.State, verb rune) { formatRedacted(f, verb, in.String()) }

// LogValue logs the input without the record's or the facts' values (log/slog).
func (in ValidateInput) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int("userFields", len(in.User)),
		slog.String("today", in.Today),
		slog.String("mode", in.Mode),
		slog.Int("factFields", len(in.Facts)),
		slog.Bool("mfa", in.MFA),
		slog.String("lang", in.Lang),
	)
}

// Validate validates a user record: valid, complete, violations, checks, normalized.
func (w *Warden) Validate(ctx context.Context, in ValidateInput) (Decision, error) {
	return w.Evaluate(ctx, "validate", in, in.Lang)
}

// PasswordInput is the input of CheckPassword. It never prints or logs the password or the
// user's data (String, GoString, Format, LogValue).
type PasswordInput struct {
	Password string         `json:"password"`
	User     map[string]any `json:"user,omitempty"`
	MFA      bool           `json:"mfa,omitempty"`
	Lang     string         `json:"-"`
}

// String prints the input without its password (fmt's %v and %s).
func (in PasswordInput) String() string {
	return fmt.Sprintf("PasswordInput{Password: <redacted>, User: %d fields, MFA: %t, Lang: %q}",
		len(in.User), in.MFA, in.Lang)
}

// GoString prints the input without its password (fmt's %#v).
func (in PasswordInput) GoString() string { return in.String() }

// Format prints the input without its password, whatever the verb.
func (in PasswordInput) Format(f fmt.State, verb rune) { formatRedacted(f, verb, in.String()) }

// LogValue logs the input without its password (log/slog).
func (in PasswordInput) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("password", "<redacted>"),
		slog.Int("userFields", len(in.User)),
		slog.Bool("mfa", in.MFA),
		slog.String("lang", in.Lang),
	)
}

// CheckPassword checks a password on its own: valid, violations, score, checklist.
func (w *Warden) CheckPassword(ctx context.Context, in PasswordInput) (Decision, error) {
	return w.Evaluate(ctx, "password", in, in.Lang)
}

// AuthorizeInput is the input of Authorize. It never prints or logs the records (String,
// GoString, Format, LogValue show their number of fields; the directory is <redacted>).
type AuthorizeInput struct {
	Actor     map[string]any `json:"actor"`
	Action    string         `json:"action"`
	Target    map[string]any `json:"target"`
	Change    map[string]any `json:"change,omitempty"`
	Directory any            `json:"directory,omitempty"`
	Now       string         `json:"now"`
}

// String prints the input without the records' values (fmt's %v and %s).
func (in AuthorizeInput) String() string {
	return fmt.Sprintf("AuthorizeInput{Actor: %d fields, Action: %q, Target: %d fields, Change: %d fields, Directory: %s, Now: %q}",
		len(in.Actor), in.Action, len(in.Target), len(in.Change), redactedAny(in.Directory), in.Now)
}

// GoString prints the input without the records' values (fmt's %#v).
func (in AuthorizeInput) GoString() string { return in.String() }

// Format prints the input without the records' values, whatever the verb.
func (in AuthorizeInput) Format(f fmt.State, verb rune) { formatRedacted(f, verb, in.String()) }

// LogValue logs the input without the records' values (log/slog).
func (in AuthorizeInput) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int("actorFields", len(in.Actor)),
		slog.String("action", in.Action),
		slog.Int("targetFields", len(in.Target)),
		slog.Int("changeFields", len(in.Change)),
		slog.String("directory", redactedAny(in.Directory)),
		slog.String("now", in.Now),
	)
}

// Authorize decides one action: decision "allow" or "deny" with a kind, code and rule.
func (w *Warden) Authorize(ctx context.Context, in AuthorizeInput) (Decision, error) {
	return w.Evaluate(ctx, "authorize", in, "")
}

// ScopeInput is the input of Scope. SQL set (even to an empty map) also renders the filter
// as a parameterised SQL WHERE clause (sql.sql, sql.params). It never prints or logs the
// actor's record (String, GoString, Format, LogValue show its number of fields).
type ScopeInput struct {
	Actor  map[string]any `json:"actor"`
	Action string         `json:"action"`
	Now    string         `json:"now"`
	SQL    map[string]any `json:"sql,omitempty"`
}

// String prints the input without the actor's values (fmt's %v and %s).
func (in ScopeInput) String() string {
	return fmt.Sprintf("ScopeInput{Actor: %d fields, Action: %q, Now: %q, SQL: %d fields}",
		len(in.Actor), in.Action, in.Now, len(in.SQL))
}

// GoString prints the input without the actor's values (fmt's %#v).
func (in ScopeInput) GoString() string { return in.String() }

// Format prints the input without the actor's values, whatever the verb.
func (in ScopeInput) Format(f fmt.State, verb rune) { formatRedacted(f, verb, in.String()) }

// LogValue logs the input without the actor's values (log/slog).
func (in ScopeInput) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int("actorFields", len(in.Actor)),
		slog.String("action", in.Action),
		slog.String("now", in.Now),
		slog.Int("sqlFields", len(in.SQL)),
	)
}

// Scope gives the filter of targets an actor may reach.
func (w *Warden) Scope(ctx context.Context, in ScopeInput) (Decision, error) {
	req := map[string]any{"actor": in.Actor, "action": in.Action, "now": in.Now}
	if in.SQL != nil {
		req["sql"] = in.SQL
	}
	return w.Evaluate(ctx, "scope", req, "")
}

// Transition moves an account to another status. request holds actor, target, to, and
// reason, durationDays, directory, facts, ... as the policy needs; now is added to it.
// Denials are in the policy's default language: see TransitionLang.
func (w *Warden) Transition(ctx context.Context, request map[string]any, now string) (Decision, error) {
	return w.TransitionLang(ctx, request, now, "")
}

// TransitionLang is Transition with its denials' messages and hints in lang ("en", "fr",
// "de", "es" or a language the policy adds; "" for the policy's default), as Python's
// transition(lang=...) and Java's transition with a language give them.
//
// A nil request is refused as invalid_input at "input", as Python and Java refuse a request
// that is not an object (an empty map is sent, and the module names what it lacks).
func (w *Warden) TransitionLang(ctx context.Context, request map[string]any, now, lang string) (Decision, error) {
	if request == nil {
		return nil, &Error{Code: "invalid_input", Path: "input", Message: "the request is required (nil was given)"}
	}
	in := make(map[string]any, len(request)+1)
	for k, v := range request {
		in[k] = v
	}
	in["now"] = now
	return w.Evaluate(ctx, "transition", in, lang)
}

// LoginInput is the input of Login. It never prints or logs the account's record (String,
// GoString, Format, LogValue show the number of fields of each map).
type LoginInput struct {
	Account      map[string]any `json:"account"`
	Organization map[string]any `json:"organization,omitempty"`
	Facts        map[string]any `json:"facts,omitempty"`
	Now          string         `json:"now"`
}

// String prints the input without the records' values (fmt's %v and %s).
func (in LoginInput) String() string {
	return fmt.Sprintf("LoginInput{Account: %d fields, Organization: %d fields, Facts: %d fields, Now: %q}",
		len(in.Account), len(in.Organization), len(in.Facts), in.Now)
}

// GoString prints the input without the records' values (fmt's %#v).
func (in LoginInput) GoString() string { return in.String() }

// Format prints the input without the records' values, whatever the verb.
func (in LoginInput) Format(f fmt.State, verb rune) { formatRedacted(f, verb, in.String()) }

// LogValue logs the input without the records' values (log/slog).
func (in LoginInput) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int("accountFields", len(in.Account)),
		slog.Int("organizationFields", len(in.Organization)),
		slog.Int("factFields", len(in.Facts)),
		slog.String("now", in.Now),
	)
}

// Login is the login gate: may this account log in now.
func (w *Warden) Login(ctx context.Context, in LoginInput) (Decision, error) {
	return w.Evaluate(ctx, "login", in, "")
}
