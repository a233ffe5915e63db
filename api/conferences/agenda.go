package conferences

// AgendaService's writes: agenda items and their speakers. The database
// refuses double-booking; these handlers name the item in the way.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	conferencesv1 "github.com/convene/convene/proto/convene/conferences/v1"
	"github.com/convene/convene/proto/convene/conferences/v1/conferencesv1connect"
)

// maxAgendaItem is the longest an agenda item lasts (conference_agenda_length).
const maxAgendaItem = 24 * time.Hour

// agendaServer implements convene.conferences.v1.AgendaService.
type agendaServer struct {
	Deps
	conferencesv1connect.UnimplementedAgendaServiceHandler
}

// agendaService mounts AgendaService: its public reads need no token and
// answer 304 to a GET whose If-None-Match is their ETag.
func agendaService(d Deps) rpc.Service {
	return rpc.NewService[conferencesv1connect.AgendaServiceHandler](conferencesv1connect.AgendaServiceName, &agendaServer{Deps: d},
		func(h conferencesv1connect.AgendaServiceHandler, opts ...connect.HandlerOption) (string, http.Handler) {
			path, handler := conferencesv1connect.NewAgendaServiceHandler(h, opts...)
			return path, withNotModified(handler, conferencesv1connect.AgendaServiceGetPublicAgendaProcedure,
				conferencesv1connect.AgendaServiceListPublicSpeakersProcedure)
		},
		conferencesv1connect.AgendaServiceGetPublicAgendaProcedure, conferencesv1connect.AgendaServiceListPublicSpeakersProcedure)
}

// agendaKinds maps the API's agenda item kinds to enums.Agenda* kinds.
var agendaKinds = rpc.NewEnum(map[conferencesv1.AgendaItemKind]string{
	conferencesv1.AgendaItemKind_AGENDA_ITEM_KIND_KEYNOTE:    enums.AgendaKeynote,
	conferencesv1.AgendaItemKind_AGENDA_ITEM_KIND_TALK:       enums.AgendaTalk,
	conferencesv1.AgendaItemKind_AGENDA_ITEM_KIND_PANEL:      enums.AgendaPanel,
	conferencesv1.AgendaItemKind_AGENDA_ITEM_KIND_WORKSHOP:   enums.AgendaWorkshop,
	conferencesv1.AgendaItemKind_AGENDA_ITEM_KIND_BREAK:      enums.AgendaBreak,
	conferencesv1.AgendaItemKind_AGENDA_ITEM_KIND_NETWORKING: enums.AgendaNetworking,
	conferencesv1.AgendaItemKind_AGENDA_ITEM_KIND_OTHER:      enums.AgendaOther,
})

// agendaStatuses maps the API's agenda item statuses to enums.Agenda* statuses.
var agendaStatuses = rpc.NewEnum(map[conferencesv1.AgendaItemStatus]string{
	conferencesv1.AgendaItemStatus_AGENDA_ITEM_STATUS_SCHEDULED: enums.AgendaScheduled,
	conferencesv1.AgendaItemStatus_AGENDA_ITEM_STATUS_CANCELLED: enums.AgendaCancelled,
})

// CreateAgendaItem adds a scheduled item to a conference; owners and
// admins only.
func (s *agendaServer) CreateAgendaItem(ctx context.Context, req *connect.Request[conferencesv1.CreateAgendaItemRequest]) (*connect.Response[conferencesv1.CreateAgendaItemResponse], error) {
	in := req.Msg.GetItem()
	if err := checkAgendaInput(in); err != nil {
		return nil, err
	}
	out := &conferencesv1.CreateAgendaItemResponse{}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c, callerID, err := manageConference(ctx, tx, uuid.MustParse(req.Msg.GetConferenceId()))
		if err != nil {
			return err
		}
		item := &db.AgendaItem{OrganizationID: c.OrganizationID, ConferenceID: c.ID}
		speakers, err := s.prepareAgendaWrite(ctx, tx, c, item, in)
		if err != nil {
			return err
		}
		if err := db.InsertAgendaItem(ctx, tx, item, speakers); err != nil {
			return agendaWriteRefusal(c, err)
		}
		out.Item, out.AgendaVersion, err = s.afterAgendaWrite(ctx, tx, c, item, callerID, "create")
		return err
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(out), nil
}

// UpdateAgendaItem replaces a scheduled item's fields and speakers;
// owners and admins only.
func (s *agendaServer) UpdateAgendaItem(ctx context.Context, req *connect.Request[conferencesv1.UpdateAgendaItemRequest]) (*connect.Response[conferencesv1.UpdateAgendaItemResponse], error) {
	in := req.Msg.GetItem()
	if err := checkAgendaInput(in); err != nil {
		return nil, err
	}
	out := &conferencesv1.UpdateAgendaItemResponse{}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c, item, callerID, err := manageAgendaItem(ctx, tx, uuid.MustParse(req.Msg.GetItemId()))
		if err != nil {
			return err
		}
		if item.Status != enums.AgendaScheduled {
			return connect.NewError(connect.CodeFailedPrecondition, errors.New("the item is cancelled"))
		}
		speakers, err := s.prepareAgendaWrite(ctx, tx, c, item, in)
		if err != nil {
			return err
		}
		if err := db.UpdateAgendaItem(ctx, tx, item, speakers); err != nil {
			return agendaWriteRefusal(c, err)
		}
		out.Item, out.AgendaVersion, err = s.afterAgendaWrite(ctx, tx, c, item, callerID, "update")
		return err
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(out), nil
}

// CancelAgendaItem cancels an item, freeing its room and speakers; owners
// and admins only. An item already cancelled is answered as it is.
func (s *agendaServer) CancelAgendaItem(ctx context.Context, req *connect.Request[conferencesv1.CancelAgendaItemRequest]) (*connect.Response[conferencesv1.CancelAgendaItemResponse], error) {
	out := &conferencesv1.CancelAgendaItemResponse{}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c, item, callerID, err := manageAgendaItem(ctx, tx, uuid.MustParse(req.Msg.GetItemId()))
		if err != nil {
			return err
		}
		cancelled, err := db.CancelAgendaItem(ctx, tx, item, s.Now())
		if err != nil {
			return err
		}
		if !cancelled {
			out.Item, err = agendaItemWithSpeakers(ctx, tx, c, item)
			out.AgendaVersion = c.AgendaVersion
			return err
		}
		out.Item, out.AgendaVersion, err = s.afterAgendaWrite(ctx, tx, c, item, callerID, "cancel")
		return err
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(out), nil
}

// manageAgendaItem loads an item whose conference the caller writes, with
// the conference row-locked (every agenda write of a conference takes
// that lock first).
func manageAgendaItem(ctx context.Context, tx bun.Tx, id uuid.UUID) (*db.Conference, *db.AgendaItem, uuid.UUID, error) {
	errNotFound := connect.NewError(connect.CodeNotFound, errors.New("agenda item not found"))
	item, err := db.AgendaItemByID(ctx, tx, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, nil, uuid.Nil, errNotFound
	}
	if err != nil {
		return nil, nil, uuid.Nil, err
	}
	c, callerID, err := manageConference(ctx, tx, item.ConferenceID)
	if err != nil {
		return nil, nil, callerID, err
	}
	// Read again under the conference's lock: another write may have
	// changed it since.
	item, err = db.AgendaItemByID(ctx, tx, id)
	if err != nil {
		return nil, nil, callerID, err
	}
	return c, item, callerID, nil
}

// checkAgendaInput refuses what protovalidate cannot see: an item longer
// than a day, a speaker listed twice.
func checkAgendaInput(in *conferencesv1.AgendaItemInput) error {
	if in.GetEndsAt().AsTime().Sub(in.GetStartsAt().AsTime()) > maxAgendaItem {
		return rpc.InvalidField("item.ends_at", "an agenda item lasts at most 24 hours")
	}
	seen := map[string]bool{}
	for i, sp := range in.GetSpeakers() {
		if seen[sp.GetSpeakerId()] {
			return rpc.InvalidField(fmt.Sprintf("item.speakers[%d].speaker_id", i), "the speaker is listed twice")
		}
		seen[sp.GetSpeakerId()] = true
	}
	return nil
}

// prepareAgendaWrite checks the conference takes agenda changes and the
// input's speakers and event are its organization's, then sets item's
// fields from in and returns its speakers.
func (s *agendaServer) prepareAgendaWrite(ctx context.Context, tx bun.Tx, c *db.Conference, item *db.AgendaItem, in *conferencesv1.AgendaItemInput) ([]db.AgendaSpeaker, error) {
	if c.Status == enums.ConferenceCancelled {
		return nil, connect.NewError(connect.CodeFailedPrecondition, errors.New("the conference is cancelled"))
	}
	speakers := make([]db.AgendaSpeaker, 0, len(in.GetSpeakers()))
	for i, sp := range in.GetSpeakers() {
		speakerID := uuid.MustParse(sp.GetSpeakerId())
		if err := checkOrgSpeaker(ctx, tx, c.OrganizationID, speakerID, fmt.Sprintf("item.speakers[%d].speaker_id", i)); err != nil {
			return nil, err
		}
		speakers = append(speakers, db.AgendaSpeaker{SpeakerID: speakerID, Role: speakerRoles.NameOr(sp.GetRole(), enums.SpeakerRoleSpeaker)})
	}
	item.EventID = rpc.OptionalID(in.GetEventId())
	if item.EventID != nil {
		if err := checkOrgEvent(ctx, tx, c.OrganizationID, *item.EventID, "item.event_id"); err != nil {
			return nil, err
		}
	}
	item.Kind, item.Title, item.Description = agendaKinds.Name(in.GetKind()), in.GetTitle(), in.GetDescription()
	item.Track, item.Room = in.GetTrack(), in.GetRoom()
	item.StartsAt, item.EndsAt = in.GetStartsAt().AsTime(), in.GetEndsAt().AsTime()
	return speakers, nil
}

// afterAgendaWrite bumps the conference's agenda version, writes the
// audit row and returns the item as the API shows it.
func (s *agendaServer) afterAgendaWrite(ctx context.Context, tx bun.Tx, c *db.Conference, item *db.AgendaItem, callerID uuid.UUID, action string) (*conferencesv1.AgendaItem, int64, error) {
	version, err := db.BumpAgendaVersion(ctx, tx, c.ID)
	if err != nil {
		return nil, 0, err
	}
	err = rpc.Audit(ctx, tx, &callerID, &c.OrganizationID, "agenda_item", item.ID.String(), action, map[string]any{
		"conference_id": c.ID.String(), "title": item.Title, "room": item.Room, "starts_at": item.StartsAt, "ends_at": item.EndsAt,
		"status": item.Status, "agenda_version": version})
	if err != nil {
		return nil, 0, err
	}
	out, err := agendaItemWithSpeakers(ctx, tx, c, item)
	return out, version, err
}

// agendaItemWithSpeakers is the API's view of one item with its speakers.
func agendaItemWithSpeakers(ctx context.Context, idb bun.IDB, c *db.Conference, item *db.AgendaItem) (*conferencesv1.AgendaItem, error) {
	speakers, err := db.AgendaSpeakersOf(ctx, idb, []uuid.UUID{item.ID})
	if err != nil {
		return nil, err
	}
	return agendaItemToProto(item, speakers, conferenceZone(c)), nil
}

// agendaWriteRefusal turns a refused agenda write into its Connect error,
// with times in the conference's zone.
func agendaWriteRefusal(c *db.Conference, err error) error {
	loc := conferenceZone(c)
	var conflict *db.AgendaConflict
	switch {
	case errors.As(err, &conflict) && conflict.SpeakerName != "":
		return connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("speaker %q is on %q (%s) at the same time",
			conflict.SpeakerName, conflict.Other.Title, localSpan(&conflict.Other, loc)))
	case errors.As(err, &conflict):
		return connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("room %q is taken by %q (%s)",
			conflict.Room, conflict.Other.Title, localSpan(&conflict.Other, loc)))
	case errors.Is(err, db.ErrAgendaOutsideDates):
		return rpc.InvalidField("item.starts_at", fmt.Sprintf("the item must fall within the conference's dates, %s to %s (%s)",
			c.StartDate.Format(time.DateOnly), c.EndDate.Format(time.DateOnly), c.Timezone))
	case errors.Is(err, db.ErrAgendaTooLong):
		return rpc.InvalidField("item.ends_at", "an agenda item lasts at most 24 hours")
	}
	return err
}

// localSpan is an item's time in zone, e.g. "2026-12-10 09:00-10:00 Asia/Tokyo".
func localSpan(item *db.AgendaItem, loc *time.Location) string {
	return fmt.Sprintf("%s %s-%s %s", item.StartsAt.In(loc).Format(time.DateOnly), item.StartsAt.In(loc).Format("15:04"),
		item.EndsAt.In(loc).Format("15:04"), loc)
}

// conferenceZone is the conference's time zone; the API checked it when
// it was set, so UTC stands in only for a zone the system no longer has.
func conferenceZone(c *db.Conference) *time.Location {
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// agendaItemToProto is the API's view of an item, with local times in loc.
func agendaItemToProto(item *db.AgendaItem, speakers []db.AgendaSpeakerRow, loc *time.Location) *conferencesv1.AgendaItem {
	out := &conferencesv1.AgendaItem{Id: item.ID.String(), ConferenceId: item.ConferenceID.String(), Kind: agendaKinds.Value(item.Kind),
		Title: item.Title, Description: item.Description, Track: item.Track, Room: item.Room,
		StartsAt: timestamppb.New(item.StartsAt), EndsAt: timestamppb.New(item.EndsAt),
		LocalDate: item.StartsAt.In(loc).Format(time.DateOnly), LocalStart: item.StartsAt.In(loc).Format("15:04"),
		LocalEnd: item.EndsAt.In(loc).Format("15:04"), EventId: rpc.IDString(item.EventID), Status: agendaStatuses.Value(item.Status)}
	for _, sp := range speakers {
		if sp.AgendaID == item.ID {
			out.Speakers = append(out.Speakers, &conferencesv1.AgendaItemSpeaker{SpeakerId: sp.SpeakerID.String(),
				Role: speakerRoles.Value(sp.Role), Name: sp.Name})
		}
	}
	return out
}
