// Package client is the Go SDK for cordbank: typed methods for every RPC,
// list iterators that page for you, typed errors rebuilt from the server's
// google.rpc.ErrorInfo, and automatic request ids that make retried creates
// safe.
//
// It imports only the generated API (proto/cordbank/v1) and gRPC, never the
// server or storage, and builds with CGO_ENABLED=0.
//
//	c, err := client.New("127.0.0.1:50051")
//	...
//	for u, err := range c.ListUnits(ctx, &cordbankv1.ListUnitsRequest{Parent: "banks/demo"}) {
//		...
//	}
package client
