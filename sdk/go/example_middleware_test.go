package warden_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	warden "example.invalid/warden/sdk/go"
)

// requireAction is net/http middleware that asks Warden whether the caller may perform
// action on the account named by the path, and answers 403 with the denial's code when not.
// The actor and target lookups stand for the application's session and user store.
func requireAction(w *warden.Warden, action string, actor, target func(*http.Request) map[string]any,
	next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		d, err := w.Authorize(r.Context(), warden.AuthorizeInput{
			Actor: actor(r), Action: action, Target: target(r),
			Now: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC).Format(time.RFC3339),
		})
		if err != nil {
			// A request Warden cannot evaluate (an unknown user here): the caller's fault,
			// told by its stable code. A module fault: the service's, logged, never shown.
			var refused *warden.Error
			if errors.As(err, &refused) {
				http.Error(rw, refused.Code, http.StatusBadRequest)
				return
			}
			log.Printf("warden: %v", err)
			http.Error(rw, "authorization unavailable", http.StatusServiceUnavailable)
			return
		}
		if d["decision"] != "allow" {
			deny, _ := d["deny"].(map[string]any)
			http.Error(rw, fmt.Sprint(deny["code"]), http.StatusForbidden)
			return
		}
		next.ServeHTTP(rw, r)
	})
}

func Example_middleware() {
	ctx := context.Background()
	rt, err := warden.NewRuntime(ctx)
	if err != nil {
		panic(err)
	}
	defer rt.Close(ctx)
	hr, err := rt.LoadPreset(ctx, "hr-platform")
	if err != nil {
		panic(err)
	}
	defer hr.Close()

	users := map[string]map[string]any{
		"m1": {"id": "m1", "organization": "hr", "manager": "d1", "roles": []string{"manager"}},
		"e1": {"id": "e1", "organization": "hr", "manager": "m1"},
		"x9": {"id": "x9", "organization": "hr", "manager": "d7"},
	}
	actor := func(r *http.Request) map[string]any { return users[r.Header.Get("X-User")] }
	target := func(r *http.Request) map[string]any { return users[r.PathValue("id")] }
	mux := http.NewServeMux()
	mux.Handle("GET /users/{id}", requireAction(hr, "users.read", actor, target,
		http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(rw, "user %s\n", r.PathValue("id"))
		})))

	for _, path := range []string{"/users/e1", "/users/x9"} {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("X-User", "m1")
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		fmt.Print(rec.Code, " ", rec.Body.String())
	}
	// Output:
	// 200 user e1
	// 403 scope_insufficient
}
