package warden

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// minCases: the vectors must not silently shrink.
const minCases = 140

type mismatch struct{ path, expected, actual string }

func compact(v any) string {
	b, _ := json.Marshal(v)
	s := string(b)
	if r := []rune(s); len(r) > 400 {
		return string(r[:400]) + "..."
	}
	return s
}

// match is the subset-pattern rule of tests/README.md: objects need every pattern key
// (extra keys allowed), arrays the same length element-wise, scalars equality with the same
// JSON type (numbers by value; decoded JSON gives bool, float64, string, nil distinct types).
func match(expected, actual any, path string, out *[]mismatch) {
	switch p := expected.(type) {
	case map[string]any:
		a, ok := actual.(map[string]any)
		if !ok {
			*out = append(*out, mismatch{path, compact(expected), compact(actual)})
			return
		}
		keys := make([]string, 0, len(p))
		for k := range p {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			here := path + "." + k
			v, has := a[k]
			if !has {
				*out = append(*out, mismatch{here, compact(p[k]), "(missing key)"})
				continue
			}
			match(p[k], v, here, out)
		}
	case []any:
		a, ok := actual.([]any)
		if !ok {
			*out = append(*out, mismatch{path, compact(expected), compact(actual)})
			return
		}
		if len(p) != len(a) {
			*out = append(*out, mismatch{path,
				fmt.Sprintf("an array of %d elements: %s", len(p), compact(expected)),
				fmt.Sprintf("an array of %d elements: %s", len(a), compact(actual))})
			return
		}
		for i := range p {
			match(p[i], a[i], fmt.Sprintf("%s[%d]", path, i), out)
		}
	default:
		if expected != actual { // comparable scalars: same dynamic type and value
			*out = append(*out, mismatch{path, compact(expected), compact(actual)})
		}
	}
}

func mismatches(expected, actual any) []mismatch {
	var out []mismatch
	match(expected, actual, "$", &out)
	return out
}

func decode(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMatcher(t *testing.T) {
	cases := []struct {
		pattern, actual string
		paths           []string
	}{
		{`{"valid":true,"violations":[]}`, `{"valid":true,"complete":false,"violations":[],"contract":1}`, nil},
		{`{"violations":[{"code":"required"}]}`, `{"violations":[{"code":"required"},{"code":"too_long"}]}`, []string{"$.violations"}},
		{`[1,2]`, `[1]`, []string{"$"}},
		{`{"v":[{"path":["email"]}]}`, `{"v":[{"path":["phone"]}]}`, []string{"$.v[0].path[0]"}},
		{`{"error":{"code":"invalid_input","path":"input"}}`, `{"error":{"code":"invalid_input"}}`, []string{"$.error.path"}},
		{`{"max":64}`, `{"max":"64"}`, []string{"$.max"}},
		{`{"manager":null}`, `{}`, []string{"$.manager"}},
		{`{"manager":null}`, `{"manager":"u-1"}`, []string{"$.manager"}},
		{`[]`, `{}`, []string{"$"}},
		{`{}`, `[]`, []string{"$"}},
		{`{}`, `{"a":1}`, nil},
		{`[]`, `[0]`, []string{"$"}},
		{`true`, `1`, []string{"$"}},
		{`1`, `1.0`, nil},
		{`1`, `2`, []string{"$"}},
		{`{"a":1,"b":[true],"c":"x"}`, `{"a":2,"b":[false]}`, []string{"$.a", "$.b[0]", "$.c"}},
	}
	for _, c := range cases {
		var got []string
		for _, m := range mismatches(decode(t, c.pattern), decode(t, c.actual)) {
			got = append(got, m.path)
		}
		if strings.Join(got, " ") != strings.Join(c.paths, " ") {
			t.Errorf("match(%s, %s): mismatches at %v, want %v", c.pattern, c.actual, got, c.paths)
		}
	}
}

var ruleID = regexp.MustCompile(`^R\d{3}-\d{2}$`)

func shapeProblems(c map[string]any) []string {
	var out []string
	for k := range c {
		switch k {
		case "name", "rules", "reason", "request", "expect":
		default:
			out = append(out, fmt.Sprintf("unknown key `%s`", k))
		}
	}
	nonEmpty := func(v any) bool { s, ok := v.(string); return ok && strings.TrimSpace(s) != "" }
	if !nonEmpty(c["name"]) {
		out = append(out, "`name` must be a non-empty string")
	}
	for _, k := range []string{"request", "expect"} {
		if _, ok := c[k]; !ok {
			out = append(out, fmt.Sprintf("`%s` is missing", k))
		}
	}
	rules, ok := c["rules"].([]any)
	switch {
	case !ok:
		out = append(out, "`rules` must be an array of rule ids")
	case len(rules) == 0 && !nonEmpty(c["reason"]):
		out = append(out, "`rules: []` needs a non-empty `reason`")
	}
	for _, r := range rules {
		if s, ok := r.(string); !ok || !ruleID.MatchString(s) {
			out = append(out, fmt.Sprintf("`%v` is not a rule id", r))
		}
	}
	return out
}

type vectorCase struct {
	file string
	body map[string]any
}

func vectorDir() string {
	if dir := os.Getenv("WARDEN_VECTORS"); dir != "" {
		return dir
	}
	return filepath.Join("..", "..", "tests", "vectors")
}

// declaredCases is the number of cases each vector file declares, read independently of
// loadVectors.
func declaredCases(t *testing.T) map[string]int {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(vectorDir(), "*.json"))
	out := map[string]int{}
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Cases []json.RawMessage `json:"cases"`
		}
		_ = json.Unmarshal(text, &doc)
		out[filepath.Base(f)] = len(doc.Cases)
	}
	return out
}

// vectorFileProblems reports a vector file listed in sdk/vector-files.txt (shared by the
// three SDKs) but missing, one not listed, one without cases, and a rule of tests/rules.txt
// that no case proves any more: so that vectors cannot disappear silently.
func vectorFileProblems(t *testing.T, declared map[string]int, cases []vectorCase) []string {
	t.Helper()
	manifest, err := os.ReadFile(filepath.Join("..", "vector-files.txt"))
	if err != nil {
		t.Fatal(err)
	}
	rules, err := os.ReadFile(filepath.Join(vectorDir(), "..", "rules.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	listed := map[string]bool{}
	for _, line := range strings.Split(string(manifest), "\n") {
		if f := strings.TrimSpace(line); f != "" && !strings.HasPrefix(f, "#") {
			listed[f] = true
			if _, ok := declared[f]; !ok {
				out = append(out, f+": listed in sdk/vector-files.txt but missing")
			}
		}
	}
	names := make([]string, 0, len(declared))
	for f := range declared {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		if !listed[f] {
			out = append(out, f+": not listed in sdk/vector-files.txt")
		}
		if declared[f] == 0 {
			out = append(out, f+": holds no case")
		}
	}
	proved := map[string]bool{}
	for _, c := range cases {
		rs, _ := c.body["rules"].([]any)
		for _, r := range rs {
			if s, ok := r.(string); ok {
				proved[s] = true
			}
		}
	}
	for _, r := range strings.Fields(string(rules)) {
		if !proved[r] {
			out = append(out, "rule "+r+" of tests/rules.txt is proved by no case")
		}
	}
	return out
}

func TestNoVectorFileOrRuleIsLost(t *testing.T) {
	if p := vectorFileProblems(t, declaredCases(t), loadVectors(t)); len(p) > 0 {
		t.Fatalf("the vectors lost something:\n%s", strings.Join(p, "\n"))
	}
}

func TestALostVectorFileOrRuleIsReported(t *testing.T) {
	declared, cases := declaredCases(t), loadVectors(t)
	if _, ok := declared["errors.json"]; !ok {
		t.Fatal("errors.json is not a vector file")
	}
	lost := map[string]int{}
	for f, n := range declared {
		if f != "errors.json" {
			lost[f] = n
		}
	}
	check := func(got []string, want ...string) {
		t.Helper()
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	check(vectorFileProblems(t, lost, cases), "errors.json: listed in sdk/vector-files.txt but missing")
	lost["errors.json"], lost["zz-new.json"] = declared["errors.json"], 0
	check(vectorFileProblems(t, lost, cases),
		"zz-new.json: not listed in sdk/vector-files.txt", "zz-new.json: holds no case")
	var some []vectorCase
	for _, c := range cases {
		if !strings.Contains(fmt.Sprint(c.body["rules"]), "R000-01") {
			some = append(some, c)
		}
	}
	check(vectorFileProblems(t, declared, some), "rule R000-01 of tests/rules.txt is proved by no case")
}

func loadVectors(t *testing.T) []vectorCase {
	t.Helper()
	dir := vectorDir()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no vector file in %s", dir)
	}
	sort.Strings(files)
	var out []vectorCase
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Description string           `json:"description"`
			Cases       []map[string]any `json:"cases"`
		}
		if err := json.Unmarshal(text, &doc); err != nil || doc.Description == "" {
			t.Fatalf("%s: not a vector file (%v)", f, err)
		}
		for _, c := range doc.Cases {
			out = append(out, vectorCase{filepath.Base(f), c})
		}
	}
	return out
}

// outcome is the decision, or the error envelope of an *Error; a *Fault fails the test.
func outcome(t *testing.T, d Decision, err error) any {
	t.Helper()
	var werr *Error
	switch {
	case err == nil:
		return map[string]any(d)
	case errors.As(err, &werr):
		// Round-trip through JSON so the envelope has the decoded types.
		var v any
		b, _ := json.Marshal(werr.Envelope())
		_ = json.Unmarshal(b, &v)
		return v
	default:
		t.Fatalf("the module could not run the request: %v", err)
		return nil
	}
}

// TestConformanceVectors runs every case of tests/vectors one-shot (the request as
// written, policy compiled per call) and, when the request names exactly one of
// preset/policy, also against a policy loaded once (a load error is then the outcome).
func TestConformanceVectors(t *testing.T) {
	ctx := context.Background()
	rt := testRuntime(t)
	cases := loadVectors(t)
	if len(cases) < minCases {
		t.Fatalf("only %d conformance cases; at least %d expected", len(cases), minCases)
	}
	loaded := map[string]any{} // spec JSON -> *Warden or *Error
	defer func() {
		for _, w := range loaded {
			if w, ok := w.(*Warden); ok {
				w.Close()
			}
		}
	}()
	names := map[string]bool{}
	failures, viaHandle, ran, hashChecks := 0, 0, 0, 0
	var report strings.Builder
	for _, c := range cases {
		name, _ := c.body["name"].(string)
		problems := shapeProblems(c.body)
		if names[name] {
			problems = append(problems, "the case name is not unique across the vectors")
		}
		names[name] = true
		type found struct {
			how string
			m   mismatch
		}
		var all []found
		request, okR := c.body["request"].(map[string]any)
		expect, okE := c.body["expect"]
		if okR && okE {
			d, err := rt.Evaluate(ctx, request)
			oneShot := d
			ran++
			for _, m := range mismatches(expect, outcome(t, d, err)) {
				all = append(all, found{"one-shot", m})
			}
			_, hasPreset := request["preset"]
			_, hasPolicy := request["policy"]
			if hasPreset != hasPolicy {
				key := "preset"
				if hasPolicy {
					key = "policy"
				}
				specJSON, _ := json.Marshal(map[string]any{key: request[key]})
				w, seen := loaded[string(specJSON)]
				if !seen {
					ww, err := rt.load(ctx, map[string]any{key: request[key]}, []Option{WithPoolSize(1)})
					var werr *Error
					switch {
					case err == nil:
						w = ww
					case errors.As(err, &werr):
						w = werr
					default:
						t.Fatalf("%s: %v", name, err)
					}
					loaded[string(specJSON)] = w
				}
				var actual any
				switch w := w.(type) {
				case *Warden:
					rest := map[string]any{}
					for k, v := range request {
						if k != key {
							rest[k] = v
						}
					}
					d, err := w.EvaluateRequest(ctx, rest)
					actual = outcome(t, d, err)
					// The loaded policy's hash is the one its decisions carry.
					if hash, ok := oneShot["policy"].(string); ok {
						hashChecks++
						if hash != w.PolicyHash() {
							all = append(all, found{"policy hash", mismatch{"$.policy", hash, w.PolicyHash()}})
						}
					}
				case *Error:
					actual = outcome(t, nil, w)
				}
				viaHandle++
				for _, m := range mismatches(expect, actual) {
					all = append(all, found{"loaded", m})
				}
			}
		}
		if len(problems) == 0 && len(all) == 0 {
			continue
		}
		failures++
		fmt.Fprintf(&report, "\n[%s] %s", c.file, name)
		for _, p := range problems {
			fmt.Fprintf(&report, "\n  case: %s", p)
		}
		for _, f := range all {
			fmt.Fprintf(&report, "\n  %s at %s\n    expected: %s\n    actual:   %s", f.how, f.m.path, f.m.expected, f.m.actual)
		}
	}
	t.Logf("%d cases one-shot, %d also through a loaded policy (%d policy hashes compared)", ran, viaHandle, hashChecks)
	if hashChecks == 0 {
		t.Fatal("no decision of a loaded policy carried its policy hash")
	}
	if failures > 0 {
		t.Fatalf("%d of %d conformance cases failed:%s", failures, len(cases), report.String())
	}
	// Every case the files declare ran: none was skipped.
	declared := 0
	for _, n := range declaredCases(t) {
		declared += n
	}
	if ran != declared {
		t.Fatalf("%d of the %d cases of the vector files ran", ran, declared)
	}
}
