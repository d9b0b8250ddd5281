// Command bench times decisions through the portable core module from Go (wazero) against
// go-playground/validator on the record rule set of BENCHMARKS.md
// (benches/compare/compare-policy.json), verdicts asserted equal record by record first.
// Run by scripts/bench-sdks.sh; prints Markdown rows.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	warden "example.invalid/warden/sdk/go"
	"github.com/go-playground/validator/v10"
)

const (
	today  = "2026-11-22"
	now    = "2026-11-22T10:00:00Z"
	rounds = 7
)

// Record is the equal rule set for go-playground/validator.
type Record struct {
	FirstName    *string `validate:"required,min=1,max=100,clean"`
	LastName     *string `validate:"required,min=1,max=100,clean"`
	Email        *string `validate:"required,htmlemail"`
	Phone        *string `validate:"omitempty,e164ish"`
	EmployeeID   *string `validate:"required,empid"`
	Organization *string `validate:"required,min=1,max=64,clean"`
}

var (
	clean     = regexp.MustCompile(`^[^\p{Cc}\x{00AD}\x{200B}-\x{200F}\x{202A}-\x{202E}\x{2060}-\x{2064}\x{2066}-\x{2069}\x{FEFF}]*$`)
	htmlEmail = regexp.MustCompile("^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$")
	phone     = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)
	empID     = regexp.MustCompile(`^EMP-[0-9]{5}$`)
)

func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	re := func(r *regexp.Regexp) validator.Func {
		return func(fl validator.FieldLevel) bool { return r.MatchString(fl.Field().String()) }
	}
	_ = v.RegisterValidation("clean", re(clean))
	_ = v.RegisterValidation("htmlemail", re(htmlEmail))
	_ = v.RegisterValidation("e164ish", re(phone))
	_ = v.RegisterValidation("empid", re(empID))
	return v
}

// records is the generator of bench/js/common.mjs, ported.
func records(n, badPer100 int) []map[string]any {
	out := make([]map[string]any, 0, n)
	for i := 0; i < n; i++ {
		r := map[string]any{
			"firstName":    fmt.Sprintf("Ada%d", i%97),
			"lastName":     fmt.Sprintf("Lovelace-%d", i),
			"email":        fmt.Sprintf("ada.lovelace%d@acme%d.example", i, i%13),
			"phone":        fmt.Sprintf("+3361234%04d", i%10000),
			"employeeId":   fmt.Sprintf("EMP-%05d", i%100000),
			"organization": fmt.Sprintf("org-%d", i%50),
		}
		if i%3 == 0 {
			delete(r, "phone")
		}
		if i%100 < badPer100 {
			switch (i/100 + i) % 8 {
			case 0:
				r["email"] = fmt.Sprintf("user%d.example.com", i)
			case 1:
				r["email"] = fmt.Sprintf("user%d@@acme.example", i)
			case 2:
				r["phone"] = "+33612"
			case 3:
				r["phone"] = fmt.Sprintf("0612%06d", i)
			case 4:
				r["employeeId"] = fmt.Sprintf("E-%d", i)
			case 5:
				delete(r, "lastName")
			case 6:
				r["firstName"] = strings.Repeat("A", 101)
			default:
				r["lastName"] = fmt.Sprintf("Love\u0007lace%d", i)
			}
		}
		out = append(out, r)
	}
	return out
}

func str(r map[string]any, k string) *string {
	if v, ok := r[k].(string); ok {
		return &v
	}
	return nil
}

func toRecord(r map[string]any) Record {
	return Record{str(r, "firstName"), str(r, "lastName"), str(r, "email"), str(r, "phone"),
		str(r, "employeeId"), str(r, "organization")}
}

// perCall is the median over rounds of the mean time per item.
func perCall(n int, f func(i int)) time.Duration {
	var ts []time.Duration
	for k := 0; k < rounds; k++ {
		t := time.Now()
		for i := 0; i < n; i++ {
			f(i)
		}
		ts = append(ts, time.Since(t)/time.Duration(n))
	}
	sort.Slice(ts, func(a, b int) bool { return ts[a] < ts[b] })
	return ts[len(ts)/2]
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func main() {
	n := 2000
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		must(err)
		n = v
	}
	ctx := context.Background()
	t := time.Now()
	rt, err := warden.NewRuntime(ctx) // no compilation cache: a cold start
	must(err)
	compiled := time.Since(t)
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "benches", "compare", "compare-policy.json"))
	must(err)
	t = time.Now()
	w, err := rt.LoadPolicy(ctx, doc, warden.WithPoolSize(1))
	must(err)
	loaded := time.Since(t)
	fmt.Printf("| Go (wazero %s) | cold | compile module %.2f s, load policy %d ms | | |\n",
		wazeroVersion(), compiled.Seconds(), loaded.Milliseconds())

	v := newValidator()
	for _, bad := range []int{0, 50} {
		recs := records(n, bad)
		structs := make([]Record, len(recs))
		for i, r := range recs {
			structs[i] = toRecord(r)
			d, err := w.Validate(ctx, warden.ValidateInput{User: r, Today: today})
			must(err)
			if (d["valid"] == true) != (v.Struct(structs[i]) == nil) {
				must(fmt.Errorf("verdicts differ on %v: Warden %v", r, d["valid"]))
			}
		}
		a := perCall(n, func(i int) {
			_, err := w.Validate(ctx, warden.ValidateInput{User: recs[i], Today: today})
			must(err)
		})
		b := perCall(n, func(i int) { _ = v.Struct(structs[i]) })
		fmt.Printf("| Go | validate, %d%% invalid | %v | validator %v | %.2f× |\n", bad, a, b, float64(b)/float64(a))
	}

	hr, err := rt.LoadPreset(ctx, "hr-platform", warden.WithPoolSize(1))
	must(err)
	in := warden.AuthorizeInput{
		Actor:  map[string]any{"id": "m1", "organization": "hr", "manager": "d1", "roles": []string{"manager"}},
		Action: "users.read", Target: map[string]any{"id": "e1", "organization": "hr", "manager": "m1"}, Now: now}
	d, err := hr.Authorize(ctx, in)
	must(err)
	if d["decision"] != "allow" {
		must(fmt.Errorf("authorize: %v", d))
	}
	a := perCall(n, func(int) {
		_, err := hr.Authorize(ctx, in)
		must(err)
	})
	fmt.Printf("| Go | authorize (allow, team scope) | %v | | |\n", a)
}

func wazeroVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, m := range info.Deps {
			if m.Path == "github.com/tetratelabs/wazero" {
				return m.Version
			}
		}
	}
	return "?"
}
