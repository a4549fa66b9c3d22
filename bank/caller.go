package bank

import "context"

// Caller identifies who made a request, for the audit trail. Transports
// put it in the context (server: from the authenticated principal and the
// request id); the domain reads it when it records an event.
type Caller struct {
	// Principal names who acted: a user or token name, "system" for
	// maintenance commands. "anonymous" until authentication is set up.
	Principal string
	// RequestID is the transport's request id, to join events with logs.
	RequestID string
}

type callerKey struct{}

// WithCaller returns ctx carrying c.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller of ctx; Principal "anonymous" when none was set.
func CallerFrom(ctx context.Context) Caller {
	c, _ := ctx.Value(callerKey{}).(Caller)
	if c.Principal == "" {
		c.Principal = "anonymous"
	}
	return c
}
