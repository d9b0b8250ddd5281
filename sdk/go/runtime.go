package warden

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

//go:embed warden.wasm
var embeddedModule []byte

// ABIMajor is the ABI major version this SDK speaks (component/ABI.md); any minor is accepted.
const ABIMajor = 1

// Defaults of a Runtime.
const (
	// DefaultMaxMemory caps each instance's memory: 256 MiB.
	DefaultMaxMemory = 256 << 20
	// DefaultTimeout bounds each call when the context has no earlier deadline. wazero has
	// no fuel metering: a deadline is its finite budget.
	DefaultTimeout = 10 * time.Second
	// DefaultPoolWait bounds the wait for a free instance when a pool is at its bound (the
	// context's deadline applies when earlier): 30 s, as Python's pool_timeout and Java's
	// poolWait.
	DefaultPoolWait = 30 * time.Second
)

// MaxRequestBytes is the largest request the module takes, in bytes of its JSON encoding:
// 64 MiB, the module's MAX_INPUT_BYTES (the largest buffer warden_alloc hands out). A larger
// request is refused before it is written into an instance, as an *Error with Code "limit_exceeded"
// and Path "" (the instance stays in its pool).
const MaxRequestBytes = 64 << 20

const (
	statusOK    = 0
	statusError = 1
	pageSize    = 65536
)

// ErrInvalidConfig wraps the first invalid option given to NewRuntime or Load.
var ErrInvalidConfig = errors.New("warden: invalid configuration")

type config struct {
	maxMemory uint64
	timeout   time.Duration
	poolWait  time.Duration
	poolSize  int
	wasm      []byte
	cacheDir  string
	err       error
}

// Option configures a Runtime (NewRuntime) or a Warden's pool (Load*).
type Option func(*config)

func (c *config) fail(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
	}
}

// WithMaxMemory caps each instance's memory in bytes (rounded down to 64 KiB pages); a
// runtime option (Load* refuses it: the instances are the runtime's).
func WithMaxMemory(bytes uint64) Option {
	return func(c *config) {
		if bytes < pageSize || bytes > 4<<30 {
			c.fail("max memory %d is outside 64 KiB..4 GiB", bytes)
			return
		}
		c.maxMemory = bytes
	}
}

// WithTimeout bounds each call (the context's deadline applies when earlier); for a Warden
// it overrides the runtime's.
func WithTimeout(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			c.fail("timeout %v is not positive", d)
			return
		}
		c.timeout = d
	}
}

// WithPoolWait bounds the wait for a free instance when the pool is at its bound (default
// DefaultPoolWait, 30 s; the context's deadline applies when earlier). A call that gets no
// instance in time returns a *Fault with Code FaultPoolTimeout. For a Warden it overrides the
// runtime's (whose pool runs Runtime.Evaluate).
func WithPoolWait(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			c.fail("pool wait %v is not positive", d)
			return
		}
		c.poolWait = d
	}
}

// WithPoolSize bounds the instances of a Warden (default GOMAXPROCS).
func WithPoolSize(n int) Option {
	return func(c *config) {
		if n < 1 {
			c.fail("pool size %d is below 1", n)
			return
		}
		c.poolSize = n
	}
}

// WithModule runs another build of the module instead of the embedded one.
func WithModule(wasm []byte) Option {
	return func(c *config) {
		if len(wasm) == 0 {
			c.fail("empty module")
			return
		}
		c.wasm = wasm
	}
}

// WithCompilationCacheDir keeps wazero's compiled code in dir across processes.
func WithCompilationCacheDir(dir string) Option {
	return func(c *config) { c.cacheDir = dir }
}

func newConfig(base config, opts []Option) config {
	c := base
	c.err = nil
	for _, o := range opts {
		o(&c)
	}
	return c
}

// Runtime is the compiled module. Compile once per process and share it: it is safe for
// concurrent use. Close it when done.
type Runtime struct {
	cfg      config
	rt       wazero.Runtime
	compiled wazero.CompiledModule
	raw      *pool

	// life ends when Close starts: it wakes callers waiting for an instance and interrupts
	// the calls in flight (each call's context ends with it).
	life context.Context
	stop context.CancelFunc
	// mu is held for reading by every call (pool.with) and for writing by Close, so that
	// wazero's runtime is closed only once no call uses it.
	mu     sync.RWMutex
	closed bool // guarded by mu
}

// NewRuntime compiles the module (the embedded one unless WithModule).
func NewRuntime(ctx context.Context, opts ...Option) (*Runtime, error) {
	cfg := newConfig(config{
		maxMemory: DefaultMaxMemory,
		timeout:   DefaultTimeout,
		poolWait:  DefaultPoolWait,
		poolSize:  runtime.GOMAXPROCS(0),
		wasm:      embeddedModule,
	}, opts)
	if cfg.err != nil {
		return nil, cfg.err
	}
	rc := wazero.NewRuntimeConfig().
		WithMemoryLimitPages(uint32(cfg.maxMemory / pageSize)).
		WithCloseOnContextDone(true)
	if cfg.cacheDir != "" {
		cache, err := wazero.NewCompilationCacheWithDir(cfg.cacheDir)
		if err != nil {
			return nil, fmt.Errorf("%w: compilation cache: %v", ErrInvalidConfig, err)
		}
		rc = rc.WithCompilationCache(cache)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, rc)
	compiled, err := rt.CompileModule(ctx, cfg.wasm)
	if err != nil {
		_ = rt.Close(ctx)
		return nil, &Fault{Code: FaultInstantiate, Err: err}
	}
	r := &Runtime{cfg: cfg, rt: rt, compiled: compiled}
	r.life, r.stop = context.WithCancel(context.Background())
	r.raw = newPool(r, nil, cfg)
	return r, nil
}

// Close releases the runtime and every instance of it, those of its Wardens included. Calls
// in flight are interrupted and, like every later call (of the runtime or of a Warden loaded
// from it), return an error that matches ErrClosed. Closing again does nothing.
func (r *Runtime) Close(ctx context.Context) error {
	r.stop() // first: the calls in flight end, so that the lock below is not held long
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	r.raw.close()
	return r.rt.Close(ctx)
}

// enter admits a call: false once the runtime is closed (or closing). A call admitted holds
// the runtime open until leave.
func (r *Runtime) enter() bool {
	if r.life.Err() != nil {
		return false
	}
	r.mu.RLock()
	if r.closed {
		r.mu.RUnlock()
		return false
	}
	return true
}

func (r *Runtime) leave() { r.mu.RUnlock() }

// Evaluate runs a full contract request that names its policy ("preset" or "policy"),
// compiled for this call only. Prefer a Warden for repeated calls.
func (r *Runtime) Evaluate(ctx context.Context, request any) (Decision, error) {
	return r.raw.evaluate(ctx, request)
}

// instance is one module instance; one goroutine at a time (pools lend it out).
type instance struct {
	mod                                     api.Module
	mem                                     api.Memory
	alloc, free, load, unload, eval, output api.Function
	buf, cap                                uint32
	timeout                                 time.Duration
	// life is the runtime's: its end interrupts the instance's call in flight.
	life context.Context
	// retain is the most memory (bytes) a pool keeps idle: a quarter of the runtime's cap.
	retain uint64
}

// outgrown reports whether a call grew the instance's memory past what a pool keeps idle
// (wasm memory never shrinks: one large request would hold it for the pool's life).
func (in *instance) outgrown() bool {
	return in.mem != nil && uint64(in.mem.Size()) > in.retain
}

func (r *Runtime) instantiate(ctx context.Context, timeout time.Duration) (*instance, error) {
	mod, err := r.rt.InstantiateModule(ctx, r.compiled, wazero.NewModuleConfig().WithName(""))
	if err != nil {
		return nil, &Fault{Code: FaultInstantiate, Err: err}
	}
	in := &instance{mod: mod, mem: mod.Memory(), timeout: timeout, retain: r.cfg.maxMemory / 4, life: r.life}
	if err := in.checkABI(); err != nil {
		_ = mod.Close(ctx)
		return nil, err
	}
	fns := map[string]*api.Function{
		"warden_alloc": &in.alloc, "warden_free": &in.free, "warden_policy_load": &in.load,
		"warden_policy_free": &in.unload, "warden_evaluate": &in.eval, "warden_output": &in.output,
	}
	for name, slot := range fns {
		if *slot = mod.ExportedFunction(name); *slot == nil {
			_ = mod.Close(ctx)
			return nil, &Fault{Code: FaultABIMismatch, Err: fmt.Errorf("missing export %s", name)}
		}
	}
	return in, nil
}

// checkABI reads the version globals first: each holds the address of a little-endian u32.
func (in *instance) checkABI() error {
	var version [2]uint32
	for i, name := range []string{"warden_abi_major", "warden_abi_minor"} {
		g := in.mod.ExportedGlobal(name)
		if g == nil || in.mem == nil {
			return &Fault{Code: FaultABIMismatch, Err: errors.New("the module exports no Warden ABI version")}
		}
		v, ok := in.mem.ReadUint32Le(uint32(g.Get()))
		if !ok {
			return &Fault{Code: FaultABIMismatch, Err: fmt.Errorf("%s points outside memory", name)}
		}
		version[i] = v
	}
	if version[0] != ABIMajor {
		return &Fault{Code: FaultABIMismatch, Err: fmt.Errorf(
			"the module speaks ABI %d.%d; this SDK speaks %d.x", version[0], version[1], ABIMajor)}
	}
	return nil
}

func (in *instance) call(ctx context.Context, f api.Function, args ...uint64) (uint64, error) {
	// The earlier of the caller's deadline and the runtime's timeout.
	ctx, cancel := context.WithTimeout(ctx, in.timeout)
	defer cancel()
	if in.life != nil {
		// The runtime's Close interrupts the call (wazero closes the module mid-way).
		defer context.AfterFunc(in.life, cancel)()
	}
	res, err := f.Call(ctx, args...)
	if err != nil {
		return 0, faultOf(err)
	}
	if len(res) == 0 {
		return 0, nil
	}
	return res[0], nil
}

// checkSize refuses a request above MaxRequestBytes: a refusal of the request (an *Error),
// not a fault, so the instance that would have run it stays in its pool.
func checkSize(data []byte) error {
	if len(data) > MaxRequestBytes {
		return &Error{Code: "limit_exceeded", Path: "", Message: fmt.Sprintf(
			"a request has at most %d bytes; this one has %d", MaxRequestBytes, len(data))}
	}
	return nil
}

// write copies an encoded request into the instance's buffer; the size is checked before any
// call, so a refusal leaves the instance as it was.
func (in *instance) write(ctx context.Context, data []byte) (uint32, error) {
	if err := checkSize(data); err != nil {
		return 0, err
	}
	if uint64(len(data)) > uint64(in.cap) {
		if in.buf != 0 {
			if _, err := in.call(ctx, in.free, uint64(in.buf), uint64(in.cap)); err != nil {
				return 0, err
			}
			in.buf, in.cap = 0, 0
		}
		size := max(len(data), 4096)
		if size > 1<<31 {
			return 0, &Fault{Code: FaultAllocFailed, Err: fmt.Errorf("a request of %d bytes", len(data))}
		}
		ptr, err := in.call(ctx, in.alloc, uint64(size))
		if err != nil {
			return 0, err
		}
		if uint32(ptr) == 0 { // below the module's limit: its memory could not grow
			return 0, &Fault{Code: FaultAllocFailed, Err: fmt.Errorf("no room for a request of %d bytes", len(data))}
		}
		in.buf, in.cap = uint32(ptr), uint32(size)
	}
	if !in.mem.Write(in.buf, data) {
		return 0, &Fault{Code: FaultBadOutput, Err: errors.New("the request buffer is outside memory")}
	}
	return in.buf, nil
}

// result reads the output of the last call: the value (status ok) or the *Error.
func (in *instance) result(ctx context.Context, status uint64) (json.RawMessage, error) {
	packed, err := in.call(ctx, in.output)
	if err != nil {
		return nil, err
	}
	view, ok := in.mem.Read(uint32(packed>>32), uint32(packed))
	if !ok {
		return nil, &Fault{Code: FaultBadOutput, Err: errors.New("the output is outside memory")}
	}
	out := make([]byte, len(view)) // the view is only valid until the next call
	copy(out, view)
	switch uint32(status) {
	case statusOK:
		return out, nil
	case statusError:
		var env struct {
			Error *Error `json:"error"`
		}
		if err := json.Unmarshal(out, &env); err != nil || env.Error == nil {
			return nil, &Fault{Code: FaultBadOutput, Err: fmt.Errorf("not an error envelope: %s", out)}
		}
		_ = json.Unmarshal(out, &env.Error.raw)
		return nil, env.Error
	default:
		return nil, &Fault{Code: FaultBadOutput, Err: fmt.Errorf("unknown status %d", status)}
	}
}

// loaded is the module's answer to warden_policy_load: the handle, and the policy's hash
// (the one every decision carries).
type loaded struct {
	Handle uint32 `json:"handle"`
	Policy string `json:"policy"`
}

func (in *instance) loadPolicy(ctx context.Context, spec map[string]any) (loaded, error) {
	var l loaded
	if err := checkEncodable(spec); err != nil {
		return l, err
	}
	data, err := json.Marshal(spec)
	if err != nil {
		return l, &Error{Code: "invalid_input", Message: err.Error()}
	}
	ptr, err := in.write(ctx, data)
	if err != nil {
		return l, err
	}
	status, err := in.call(ctx, in.load, uint64(ptr), uint64(len(data)))
	if err != nil {
		return l, err
	}
	out, err := in.result(ctx, status)
	if err != nil {
		return l, err
	}
	if err := json.Unmarshal(out, &l); err != nil || l.Handle == 0 || l.Policy == "" {
		return loaded{}, &Fault{Code: FaultBadOutput, Err: fmt.Errorf("not a load result: %s", out)}
	}
	return l, nil
}

func (in *instance) evaluate(ctx context.Context, handle uint32, request any) (json.RawMessage, error) {
	if err := checkEncodable(request); err != nil {
		return nil, err
	}
	data, err := json.Marshal(request)
	if err != nil {
		return nil, &Error{Code: "invalid_input", Message: "the request cannot be encoded as JSON: " + err.Error()}
	}
	ptr, err := in.write(ctx, data)
	if err != nil {
		return nil, err
	}
	status, err := in.call(ctx, in.eval, uint64(handle), uint64(ptr), uint64(len(data)))
	if err != nil {
		return nil, err
	}
	return in.result(ctx, status)
}

type pooled struct {
	in     *instance
	handle uint32
	policy string // the policy's hash, as the module reported it when loading it
}

// pool is a bounded, lazily filled pool of instances holding the same policy (or none).
type pool struct {
	r       *Runtime
	timeout time.Duration
	wait    time.Duration // the most a call waits for a free instance (FaultPoolTimeout)
	spec    map[string]any
	slots   chan struct{}
	idle    chan *pooled
	closed  chan struct{} // closed by close, once

	mu       sync.Mutex // guards isClosed and the hand-over between idle and close
	isClosed bool
}

func newPool(r *Runtime, spec map[string]any, cfg config) *pool {
	return &pool{r: r, timeout: cfg.timeout, wait: cfg.poolWait, spec: spec, slots: make(chan struct{}, cfg.poolSize),
		idle: make(chan *pooled, cfg.poolSize), closed: make(chan struct{})}
}

// with lends an instance to f; an instance whose call faulted, or whose memory the call
// grew past a quarter of the runtime's cap, is dropped, not returned.
func (p *pool) with(ctx context.Context, f func(*pooled) error) error {
	select {
	case <-p.closed:
		return errWardenClosed()
	default:
	}
	if !p.r.enter() {
		return errRuntimeClosed()
	}
	defer p.r.leave()
	err := p.lend(ctx, f)
	// A call that failed because the runtime was closing under it (interrupted, its
	// instance closed) reports the closing; a call that completed keeps its answer.
	var fault *Fault
	if errors.As(err, &fault) && p.r.life.Err() != nil {
		return errRuntimeClosed()
	}
	return err
}

func (p *pool) lend(ctx context.Context, f func(*pooled) error) error {
	// A context already done borrows nothing (select would pick at random between it and
	// a free slot, and the instance would be lost to the cancelled call).
	if err := ctx.Err(); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return &Fault{Code: FaultDeadline, Err: err}
		}
		return &Fault{Code: FaultCancelled, Err: err}
	}
	if err := p.acquire(ctx); err != nil {
		return err
	}
	defer func() { <-p.slots }()
	var item *pooled
	select {
	case item = <-p.idle:
	default:
		var err error
		if item, err = p.fresh(ctx); err != nil {
			return err
		}
	}
	err := f(item)
	var fault *Fault
	// A module wazero closed (the call's context ended as it returned) is never lent again.
	if errors.As(err, &fault) || item.in.outgrown() || item.in.mod.IsClosed() {
		_ = item.in.mod.Close(context.Background())
		return err
	}
	p.put(item)
	return err
}

// acquire takes a slot of the pool, waiting at most the pool's wait (FaultPoolTimeout), and
// no longer than the context (FaultDeadline, FaultCancelled) or until a close.
func (p *pool) acquire(ctx context.Context) error {
	// A free slot: no timer (the common case).
	select {
	case p.slots <- struct{}{}:
		return nil
	default:
	}
	timer := time.NewTimer(p.wait)
	defer timer.Stop()
	select {
	case p.slots <- struct{}{}:
		return nil
	case <-timer.C:
		return &Fault{Code: FaultPoolTimeout, Err: fmt.Errorf("no free instance within %v", p.wait)}
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return &Fault{Code: FaultDeadline, Err: ctx.Err()}
		}
		return &Fault{Code: FaultCancelled, Err: ctx.Err()}
	case <-p.closed:
		return errWardenClosed()
	case <-p.r.life.Done():
		return errRuntimeClosed()
	}
}

// fresh makes a new instance for the pool: instantiated and its policy loaded under ctx and
// the pool's timeout, as any call (both are in the caller's budget).
func (p *pool) fresh(ctx context.Context) (*pooled, error) {
	in, err := p.r.instantiate(ctx, p.timeout)
	if err != nil {
		return nil, err
	}
	item := &pooled{in: in}
	if p.spec != nil {
		l, err := in.loadPolicy(ctx, p.spec)
		if err != nil {
			_ = in.mod.Close(context.Background())
			return nil, err
		}
		item.handle, item.policy = l.Handle, l.Policy
	}
	return item, nil
}

// put returns an instance to the idle pool, or closes it once the pool is closed (also when
// close runs concurrently: the lock orders the hand-over against close's drain).
func (p *pool) put(item *pooled) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.isClosed {
		_ = item.in.mod.Close(context.Background())
		return
	}
	p.idle <- item // never blocks: at most cap(slots) instances exist, and we hold a slot
}

func (p *pool) evaluate(ctx context.Context, request any) (Decision, error) {
	var d Decision
	err := p.with(ctx, func(it *pooled) error {
		out, err := it.in.evaluate(ctx, it.handle, request)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(out, &d); err != nil {
			return &Fault{Code: FaultBadOutput, Err: err}
		}
		return nil
	})
	return d, err
}

// close is idempotent and safe to call concurrently: it closes the idle instances, and put
// closes any instance returned later.
func (p *pool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.isClosed {
		return
	}
	p.isClosed = true
	close(p.closed)
	for {
		select {
		case it := <-p.idle:
			_ = it.in.mod.Close(context.Background())
		default:
			return
		}
	}
}
