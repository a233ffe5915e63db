package devstack

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/server/common/config"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"google.golang.org/protobuf/types/known/durationpb"
)

// temporalCreateNamespace writes the namespace into the persistence store
// unless it exists. The helper lives in the server's sqlite schema package
// but writes through the generic SQL persistence layer, so it serves the
// Postgres plugin as well. A new namespace gets the search attributes at
// once; an existing one keeps its own and gets missing ones through the
// OperatorService once the server runs.
func temporalCreateNamespace(store *config.SQL, opts TemporalOptions) error {
	ns, err := sqliteschema.NewNamespaceConfig(temporalClusterName, opts.Namespace, false, opts.SearchAttributes)
	if err != nil {
		return fmt.Errorf("temporal namespace %q: %w", opts.Namespace, err)
	}
	ns.Detail.Config.Retention = durationpb.New(temporalNamespaceRetention)
	if err := sqliteschema.CreateNamespaces(store, ns); err != nil {
		return fmt.Errorf("temporal namespace %q: %w", opts.Namespace, err)
	}
	return nil
}

// temporalRegisterSearchAttributes adds the attributes the namespace lacks
// and waits until the server accepts them in queries. An attribute that
// exists with another type is an error.
func temporalRegisterSearchAttributes(
	ctx context.Context,
	wf workflowservice.WorkflowServiceClient,
	op operatorservice.OperatorServiceClient,
	namespace string,
	want map[string]enumspb.IndexedValueType,
) error {
	if len(want) == 0 {
		return nil
	}
	var have *operatorservice.ListSearchAttributesResponse
	err := temporalRetry(ctx, func(ctx context.Context) (err error) {
		have, err = op.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
		return err
	})
	if err != nil {
		return fmt.Errorf("list temporal search attributes: %w", err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, typ := range want {
		got, ok := have.GetCustomAttributes()[name]
		if !ok {
			got, ok = have.GetSystemAttributes()[name]
		}
		switch {
		case !ok:
			missing[name] = typ
		case got != typ:
			return fmt.Errorf("temporal search attribute %s is %s in namespace %s, want %s", name, got, namespace, typ)
		}
	}
	if len(missing) == 0 {
		return nil
	}

	_, err = op.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        namespace,
		SearchAttributes: missing,
	})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("add temporal search attributes %v: %w", slices.Sorted(maps.Keys(missing)), err)
	}

	// Each service reloads the namespace on its own timer: wait until the
	// frontend accepts a query on the new attributes, then one more period
	// for history and matching.
	var conds []string
	for _, name := range slices.Sorted(maps.Keys(missing)) {
		conds = append(conds, name+" IS NULL")
	}
	query := strings.Join(conds, " AND ")
	err = temporalRetry(ctx, func(ctx context.Context) error {
		_, err := wf.CountWorkflowExecutions(ctx, &workflowservice.CountWorkflowExecutionsRequest{
			Namespace: namespace,
			Query:     query,
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("temporal search attributes not visible: %w", err)
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(temporalNamespaceRefresh):
	}
	return nil
}
