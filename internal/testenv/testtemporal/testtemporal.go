// Package testtemporal starts a real in-process Temporal server for an
// integration-test package, with Convene's search attributes registered.
// It links the whole Temporal server (a large binary, about a minute to
// build), so only a few test packages should import it; workflow unit tests
// use the SDK's testsuite instead.
package testtemporal

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/temporaltest"

	"github.com/convene/convene/internal/devstack"
)

// Server is a running test server and a client of its default namespace.
type Server struct {
	*temporaltest.TestServer
	Client client.Client
}

// Start starts the server; call Stop when the package's tests are done
// (from TestMain).
func Start() (*Server, error) {
	ts := temporaltest.NewServer()
	c := ts.GetDefaultClient()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        ts.GetDefaultNamespace(),
		SearchAttributes: devstack.ConveneSearchAttributes(),
	})
	if err != nil {
		ts.Stop()
		return nil, fmt.Errorf("register search attributes: %w", err)
	}
	return &Server{TestServer: ts, Client: c}, nil
}
