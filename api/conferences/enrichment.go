package conferences

// Social profiles and their enrichment (EnrichmentService): the handlers
// write the profile and, in the same transaction, the River job that
// enriches it (jobs.EnrichProfileArgs, one per member and kind while it
// waits); no call waits for the provider.

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/jobs"
	conferencesv1 "github.com/convene/convene/proto/convene/conferences/v1"
	"github.com/convene/convene/proto/convene/conferences/v1/conferencesv1connect"
)

// enrichmentServer implements convene.conferences.v1.EnrichmentService.
type enrichmentServer struct{ Deps }

var _ conferencesv1connect.EnrichmentServiceHandler = (*enrichmentServer)(nil)

// enrichmentService is EnrichmentService, ready to mount.
func enrichmentService(d Deps) rpc.Service {
	return rpc.NewService[conferencesv1connect.EnrichmentServiceHandler](conferencesv1connect.EnrichmentServiceName,
		&enrichmentServer{Deps: d}, conferencesv1connect.NewEnrichmentServiceHandler)
}

// enrichmentKinds maps the API's kinds to enums.Enrichment*.
var enrichmentKinds = rpc.NewEnum(map[conferencesv1.EnrichmentKind]string{
	conferencesv1.EnrichmentKind_ENRICHMENT_KIND_LINKEDIN: enums.EnrichmentLinkedIn,
	conferencesv1.EnrichmentKind_ENRICHMENT_KIND_TWITTER:  enums.EnrichmentTwitter,
	conferencesv1.EnrichmentKind_ENRICHMENT_KIND_CRYPTO:   enums.EnrichmentCrypto,
})

// enrichmentStatuses maps enums.Enrichment* statuses to the API's.
var enrichmentStatuses = rpc.NewEnum(map[conferencesv1.EnrichmentStatus]string{
	conferencesv1.EnrichmentStatus_ENRICHMENT_STATUS_PENDING: enums.EnrichmentPending,
	conferencesv1.EnrichmentStatus_ENRICHMENT_STATUS_DONE:    enums.EnrichmentDone,
	conferencesv1.EnrichmentStatus_ENRICHMENT_STATUS_FAILED:  enums.EnrichmentFailed,
})

// SetSocialProfiles sets, keeps or removes each of the caller's profiles;
// a changed one is enriched again.
func (s *enrichmentServer) SetSocialProfiles(ctx context.Context, req *connect.Request[conferencesv1.SetSocialProfilesRequest]) (*connect.Response[conferencesv1.SetSocialProfilesResponse], error) {
	m, userID := req.Msg, rpc.CallerID(ctx)
	given := map[string]*string{enums.EnrichmentLinkedIn: m.LinkedinUrl, enums.EnrichmentTwitter: m.TwitterHandle, enums.EnrichmentCrypto: m.WalletAddress}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		changed := map[string]any{}
		for _, kind := range db.EnrichmentKinds {
			if given[kind] == nil {
				continue
			}
			input := normalizedInput(kind, *given[kind])
			changed[kind] = input
			if err := s.setProfile(ctx, tx, userID, kind, input); err != nil {
				return err
			}
		}
		if len(changed) == 0 {
			return nil
		}
		return rpc.Audit(ctx, tx, &userID, nil, "social_profiles", userID.String(), "set", changed)
	})
	if err != nil {
		return nil, err
	}
	out, err := s.profiles(ctx, userID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&conferencesv1.SetSocialProfilesResponse{Enrichments: out}), nil
}

// setProfile writes one profile: an empty input removes it, a new or
// changed one becomes pending with its job.
func (s *enrichmentServer) setProfile(ctx context.Context, tx bun.Tx, userID uuid.UUID, kind, input string) error {
	if input == "" {
		return db.ClearSocialProfile(ctx, tx, userID, kind)
	}
	pending, err := db.SetSocialProfile(ctx, tx, userID, kind, input)
	if err != nil || !pending {
		return err
	}
	return s.enqueue(ctx, tx, userID, kind)
}

// normalizedInput is the profile as stored: a handle without "@" and in
// lower case (X handles are case-insensitive), a wallet in lower case, a
// LinkedIn URL without a trailing slash.
func normalizedInput(kind, input string) string {
	switch kind {
	case enums.EnrichmentTwitter:
		return strings.ToLower(strings.TrimPrefix(input, "@"))
	case enums.EnrichmentCrypto:
		return strings.ToLower(input)
	}
	return strings.TrimSuffix(input, "/")
}

// enqueue inserts the profile's enrichment job in tx; a job of the same
// member and kind still waiting or running absorbs it.
func (s *enrichmentServer) enqueue(ctx context.Context, tx bun.Tx, userID uuid.UUID, kind string) error {
	_, err := s.River.InsertTx(ctx, tx.Tx, jobs.EnrichProfileArgs{UserID: userID, Profile: kind}, nil)
	return err
}

// GetMyEnrichments returns the caller's profiles.
func (s *enrichmentServer) GetMyEnrichments(ctx context.Context, _ *connect.Request[conferencesv1.GetMyEnrichmentsRequest]) (*connect.Response[conferencesv1.GetMyEnrichmentsResponse], error) {
	out, err := s.profiles(ctx, rpc.CallerID(ctx))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&conferencesv1.GetMyEnrichmentsResponse{Enrichments: out}), nil
}

// RefreshEnrichment makes one of the caller's profiles pending and
// enqueues its job.
func (s *enrichmentServer) RefreshEnrichment(ctx context.Context, req *connect.Request[conferencesv1.RefreshEnrichmentRequest]) (*connect.Response[conferencesv1.RefreshEnrichmentResponse], error) {
	userID, kind := rpc.CallerID(ctx), enrichmentKinds.Name(req.Msg.GetKind())
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := db.MarkEnrichmentPending(ctx, tx, userID, kind); errors.Is(err, db.ErrNotFound) {
			return connect.NewError(connect.CodeFailedPrecondition, errors.New("kind: you have no profile of this kind; set it with SetSocialProfiles first"))
		} else if err != nil {
			return err
		}
		if err := s.enqueue(ctx, tx, userID, kind); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, nil, "social_profiles", userID.String(), "refresh", map[string]any{"kind": kind})
	})
	if err != nil {
		return nil, err
	}
	p, err := db.SocialProfileOf(ctx, s.DB, userID, kind)
	if err != nil {
		return nil, err
	}
	e, err := enrichmentToProto(p)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&conferencesv1.RefreshEnrichmentResponse{Enrichment: e}), nil
}

// GetUserEnrichments shows a member's profiles to the organization's
// owners and admins.
func (s *enrichmentServer) GetUserEnrichments(ctx context.Context, req *connect.Request[conferencesv1.GetUserEnrichmentsRequest]) (*connect.Response[conferencesv1.GetUserEnrichmentsResponse], error) {
	orgID, userID := uuid.MustParse(req.Msg.GetOrganizationId()), uuid.MustParse(req.Msg.GetUserId())
	if _, err := rpc.OrgAccess(ctx, s.DB, orgID, rpc.ManagerRoles); err != nil {
		return nil, err
	}
	if _, err := db.MemberRole(ctx, s.DB, orgID, userID); errors.Is(err, db.ErrNotFound) {
		return nil, connect.NewError(connect.CodeNotFound, errors.New("user_id: not a member of this organization"))
	} else if err != nil {
		return nil, err
	}
	out, err := s.profiles(ctx, userID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&conferencesv1.GetUserEnrichmentsResponse{Enrichments: out}), nil
}

// profiles are userID's profiles as the API shows them.
func (s *enrichmentServer) profiles(ctx context.Context, userID uuid.UUID) ([]*conferencesv1.Enrichment, error) {
	rows, err := db.SocialProfilesOf(ctx, s.DB, userID)
	if err != nil {
		return nil, err
	}
	out := make([]*conferencesv1.Enrichment, 0, len(rows))
	for i := range rows {
		e, err := enrichmentToProto(&rows[i])
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func enrichmentToProto(p *db.SocialProfile) (*conferencesv1.Enrichment, error) {
	out := &conferencesv1.Enrichment{Kind: enrichmentKinds.Value(p.Kind), Input: p.Input, Status: enrichmentStatuses.Value(p.Status),
		Error: p.Error, UpdatedAt: timestamppb.New(p.UpdatedAt)}
	if p.EnrichedAt != nil {
		out.EnrichedAt = timestamppb.New(*p.EnrichedAt)
	}
	if p.Status == enums.EnrichmentDone {
		out.Result = &structpb.Struct{}
		if err := out.Result.UnmarshalJSON(p.Result); err != nil {
			return nil, fmt.Errorf("%s enrichment result: %w", p.Kind, err)
		}
	}
	return out, nil
}
