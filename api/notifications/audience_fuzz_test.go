package notifications

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"
	"testing"

	"buf.build/go/protovalidate"
	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	notificationsv1 "github.com/convene/convene/proto/convene/notifications/v1"
)

// errOffline is what every query of offlineDB fails with.
var errOffline = errors.New("offline: the audience needed a database lookup")

// offlineConnector refuses every connection, so a conversion that needs
// the database fails with errOffline instead of reaching one.
type offlineConnector struct{}

func (offlineConnector) Connect(context.Context) (driver.Conn, error) { return nil, errOffline }
func (offlineConnector) Driver() driver.Driver                        { return offlineDriver{} }

type offlineDriver struct{}

func (offlineDriver) Open(string) (driver.Conn, error) { return nil, errOffline }

// FuzzCriteriaFromProto: whatever audience a client sends that passes the
// request validation the server runs first, converting it never panics
// (IDs are parsed with MustParse after validation) and either refuses it
// with invalid_argument or permission_denied naming the audience's field,
// or — where no database lookup was needed — yields the same audience with
// the tenant rule kept: outside staff, only the job's organization's
// members, and never all users or an interest.
func FuzzCriteriaFromProto(f *testing.F) {
	org := "01a23300-0000-7000-8000-000000000001"
	for _, seed := range []struct {
		kind                                       int32
		orgID, role, eventID, status, slug, userID string
		staff, exclude                             bool
	}{
		{2, org, "member", "", "", "", "", false, false},
		{2, "01a23300-0000-7000-8000-000000000002", "", "", "", "", "", false, true},
		{1, "", "", "", "", "", "", false, false},
		{1, "", "", "", "", "", "", true, true},
		{6, "", "", "", "", "", "01A23300-0000-7000-8000-0000000000FF", true, false},
		{6, "", "", "", "", "", "01a23300-0000-7000-8000-0000000000ff", false, false},
		{3, "", "", "01a23300-0000-7000-8000-000000000003", "going", "", "", false, false},
		{4, org, "", "", "accepted", "", "", false, false},
		{5, "", "", "", "", "music", "", true, false},
		{2, "", "owner", "", "", "", "", false, false},
		{0, org, "", "", "", "", "", false, false},
		{99, org, "", "", "", "", "", false, false},
	} {
		f.Add(seed.kind, seed.orgID, seed.role, seed.eventID, seed.status, seed.slug, seed.userID, seed.staff, seed.exclude)
	}
	validator, err := protovalidate.New()
	require.NoError(f, err)
	offline := bun.NewDB(sql.OpenDB(offlineConnector{}), pgdialect.New())
	f.Cleanup(func() { _ = offline.Close() })
	scopeOrg := uuid.MustParse(org)

	f.Fuzz(func(t *testing.T, kind int32, orgID, role, eventID, status, slug, userID string, staff, exclude bool) {
		a := &notificationsv1.Audience{Kind: notificationsv1.AudienceKind(kind), OrganizationId: orgID, EventId: eventID,
			InterestSlug: slug, Roles: nonEmpty(role), Statuses: nonEmpty(status), UserIds: nonEmpty(userID)}
		c, field := &notificationsv1.Criteria{Include: []*notificationsv1.Audience{a}}, "criteria.include[0]"
		if exclude {
			c, field = &notificationsv1.Criteria{Include: []*notificationsv1.Audience{allowedInclude(staff, org)}, Exclude: c.Include}, "criteria.exclude[0]"
		}
		if validator.Validate(c) != nil {
			return // the server refuses it with invalid_argument before converting
		}
		scope := jobScope{staff: staff}
		if !staff {
			scope.orgID = &scopeOrg
		}
		out, err := criteriaFromProto(context.Background(), offline, c, scope)
		if err != nil {
			requireNamedRefusal(t, err, field)
			return
		}
		got := out.Include
		if exclude {
			got = out.Exclude
		}
		require.Len(t, got, 1)
		require.Equal(t, audienceKinds.Name(a.GetKind()), got[0].Kind)
		require.Equal(t, a.GetOrganizationId(), idString(got[0].OrganizationID))
		require.Len(t, got[0].UserIDs, len(a.GetUserIds()))
		for i, id := range a.GetUserIds() {
			require.Equal(t, strings.ToLower(id), got[0].UserIDs[i].String())
		}
		if !staff {
			require.NotContains(t, []notificationsv1.AudienceKind{notificationsv1.AudienceKind_AUDIENCE_KIND_ALL_USERS,
				notificationsv1.AudienceKind_AUDIENCE_KIND_INTEREST}, a.GetKind(), "only staff reach everyone or an interest")
			if got[0].OrganizationID != nil {
				require.Equal(t, scopeOrg, *got[0].OrganizationID, "only the job's organization")
			}
		}
	})
}

// requireNamedRefusal: err is a lookup the offline database could not
// answer, or a refusal a client can act on, naming the audience's field.
func requireNamedRefusal(t *testing.T, err error, field string) {
	t.Helper()
	if errors.Is(err, errOffline) {
		return
	}
	require.Contains(t, []connect.Code{connect.CodeInvalidArgument, connect.CodePermissionDenied}, connect.CodeOf(err), "%v", err)
	require.Contains(t, err.Error(), field)
}

// allowedInclude is an audience the scope may target without a database
// lookup, to put before a fuzzed exclusion.
func allowedInclude(staff bool, org string) *notificationsv1.Audience {
	if staff {
		return &notificationsv1.Audience{Kind: notificationsv1.AudienceKind_AUDIENCE_KIND_ALL_USERS}
	}
	return &notificationsv1.Audience{Kind: notificationsv1.AudienceKind_AUDIENCE_KIND_ORGANIZATION_MEMBERS, OrganizationId: org}
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func idString(id *uuid.UUID) string {
	if id == nil {
		return ""
	}
	return id.String()
}
