package warden_test

import (
	"context"
	"errors"
	"fmt"

	warden "example.invalid/warden/sdk/go"
)

func Example() {
	ctx := context.Background()
	rt, err := warden.NewRuntime(ctx) // compiles the embedded module: once per process
	if err != nil {
		panic(err)
	}
	defer rt.Close(ctx)
	w, err := rt.LoadPreset(ctx, "production-planner-pro")
	if err != nil {
		panic(err)
	}
	defer w.Close()
	d, err := w.Validate(ctx, warden.ValidateInput{Today: "2026-11-22", User: map[string]any{
		"firstName": "Ada", "lastName": "Lovelace", "email": "not-an-email",
		"password": "Tr0ub4dor&3x!", "organization": "acme"}})
	if err != nil {
		panic(err)
	}
	first := d["violations"].([]any)[0].(map[string]any)
	fmt.Println(d["valid"], first["code"])

	_, err = rt.LoadPreset(ctx, "acme-corp")
	var werr *warden.Error
	if errors.As(err, &werr) {
		fmt.Printf("%s %q\n", werr.Code, werr.Path)
	}
	// Output:
	// false invalid_email
	// policy_error ""
}

func Example_closed() {
	ctx := context.Background()
	rt, err := warden.NewRuntime(ctx)
	if err != nil {
		panic(err)
	}
	defer rt.Close(ctx)
	w, err := rt.LoadPreset(ctx, "production-planner-pro")
	if err != nil {
		panic(err)
	}
	d, err := w.CheckPassword(ctx, warden.PasswordInput{Password: "correct horse battery staple"})
	if err != nil {
		panic(err)
	}
	fmt.Println(w.PolicyHash() == d["policy"], w.PolicyHash()[:7])

	w.Close()
	_, err = w.CheckPassword(ctx, warden.PasswordInput{Password: "x"})
	fmt.Println(errors.Is(err, warden.ErrClosed))
	// Output:
	// true sha256:
	// true
}
