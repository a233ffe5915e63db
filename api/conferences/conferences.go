package conferences

// ConferenceService: conferences, their attendees and linked events.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/jobs"
	conferencesv1 "github.com/convene/convene/proto/convene/conferences/v1"
	"github.com/convene/convene/proto/convene/conferences/v1/conferencesv1connect"
)

// conferencesPageSize is a conference or attendee list's page when the
// request has none.
const conferencesPageSize = 50

// maxConferenceDays is the longest a conference may last after its first
// day (the conferences_length constraint).
const maxConferenceDays = 31

// conferenceServer implements convene.conferences.v1.ConferenceService.
type conferenceServer struct {
	Deps
	conferencesv1connect.UnimplementedConferenceServiceHandler
}

// conferenceService mounts ConferenceService.
func conferenceService(d Deps) rpc.Service {
	return rpc.NewService[conferencesv1connect.ConferenceServiceHandler](conferencesv1connect.ConferenceServiceName,
		&conferenceServer{Deps: d}, conferencesv1connect.NewConferenceServiceHandler)
}

// conferenceStatuses maps the API's conference statuses to enums.Conference*.
var conferenceStatuses = rpc.NewEnum(map[conferencesv1.ConferenceStatus]string{
	conferencesv1.ConferenceStatus_CONFERENCE_STATUS_DRAFT:     enums.ConferenceDraft,
	conferencesv1.ConferenceStatus_CONFERENCE_STATUS_PUBLISHED: enums.ConferencePublished,
	conferencesv1.ConferenceStatus_CONFERENCE_STATUS_LIVE:      enums.ConferenceLive,
	conferencesv1.ConferenceStatus_CONFERENCE_STATUS_COMPLETED: enums.ConferenceCompleted,
	conferencesv1.ConferenceStatus_CONFERENCE_STATUS_CANCELLED: enums.ConferenceCancelled,
})

// attendanceStatuses maps the API's registration statuses to enums.Attendance*.
var attendanceStatuses = rpc.NewEnum(map[conferencesv1.AttendanceStatus]string{
	conferencesv1.AttendanceStatus_ATTENDANCE_STATUS_REGISTERED: enums.AttendanceRegistered,
	conferencesv1.AttendanceStatus_ATTENDANCE_STATUS_CANCELLED:  enums.AttendanceCancelled,
})

// errConferenceNotFound is the answer for a conference the caller may not
// see: another organization's, or a draft of their own to a member.
var errConferenceNotFound = connect.NewError(connect.CodeNotFound, errors.New("conference not found"))

// manages reports an organization role that writes conferences: owners,
// admins and platform staff.
func manages(role string) bool {
	return slices.Contains(rpc.ManagerRoles, role) || role == rpc.StaffRole
}

// visibleTo reports whether a member with role sees the conference:
// drafts are their organization's owners' and admins' only.
func visibleTo(c *db.Conference, role string) bool {
	return c.Status != enums.ConferenceDraft || manages(role)
}

// readConference returns the caller's role for a conference they may see;
// any other is NotFound.
func readConference(ctx context.Context, idb bun.IDB, c *db.Conference) (string, error) {
	role, err := rpc.OrgAccess(ctx, idb, c.OrganizationID, rpc.AnyRole)
	if code := connect.CodeOf(err); err != nil && (code == connect.CodePermissionDenied || code == connect.CodeNotFound) {
		return "", errConferenceNotFound
	}
	if err != nil {
		return "", err
	}
	if !visibleTo(c, role) {
		return "", errConferenceNotFound
	}
	return role, nil
}

// loadConference loads a conference the caller may see, with their role.
func loadConference(ctx context.Context, idb bun.IDB, id uuid.UUID) (*db.Conference, string, error) {
	c, err := db.ConferenceByID(ctx, idb, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, "", errConferenceNotFound
	}
	if err != nil {
		return nil, "", err
	}
	role, err := readConference(ctx, idb, c)
	return c, role, err
}

// manageConference row-locks a conference the caller writes (owners and
// admins of its organization) and returns it with the caller's ID.
func manageConference(ctx context.Context, tx bun.Tx, id uuid.UUID) (*db.Conference, uuid.UUID, error) {
	callerID := rpc.CallerID(ctx)
	c, err := db.LockConference(ctx, tx, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, callerID, errConferenceNotFound
	}
	if err != nil {
		return nil, callerID, err
	}
	if _, err := rpc.OrgAccess(ctx, tx, c.OrganizationID, rpc.ManagerRoles); err != nil {
		return nil, callerID, err
	}
	return c, callerID, nil
}

// conferenceFields are a ConferenceInput's values, checked.
type conferenceFields struct {
	start, end time.Time
}

// checkConferenceInput refuses what protovalidate cannot see: a zone that
// does not load, dates that do not exist or are out of order.
func checkConferenceInput(in *conferencesv1.ConferenceInput) (conferenceFields, error) {
	if _, err := time.LoadLocation(in.GetTimezone()); err != nil || in.GetTimezone() == "Local" {
		return conferenceFields{}, rpc.InvalidField("conference.timezone",
			fmt.Sprintf("%q is not an IANA time zone; use a name such as Asia/Tokyo", in.GetTimezone()))
	}
	start, err := time.Parse(time.DateOnly, in.GetStartDate())
	if err != nil {
		return conferenceFields{}, rpc.InvalidField("conference.start_date", fmt.Sprintf("%q is not a date", in.GetStartDate()))
	}
	end, err := time.Parse(time.DateOnly, in.GetEndDate())
	if err != nil {
		return conferenceFields{}, rpc.InvalidField("conference.end_date", fmt.Sprintf("%q is not a date", in.GetEndDate()))
	}
	if end.Before(start) {
		return conferenceFields{}, rpc.InvalidField("conference.end_date",
			fmt.Sprintf("the last day %s is before the first day %s", in.GetEndDate(), in.GetStartDate()))
	}
	if end.Sub(start) > maxConferenceDays*24*time.Hour {
		return conferenceFields{}, rpc.InvalidField("conference.end_date",
			fmt.Sprintf("a conference lasts at most %d days after its first day", maxConferenceDays))
	}
	return conferenceFields{start: start, end: end}, nil
}

// applyConferenceInput sets c's editable fields from a checked input.
func applyConferenceInput(c *db.Conference, in *conferencesv1.ConferenceInput, f conferenceFields) {
	c.Slug, c.Name, c.Description, c.Venue = in.GetSlug(), in.GetName(), in.GetDescription(), in.GetVenue()
	c.StartDate, c.EndDate, c.Timezone, c.IsFeatured = f.start, f.end, in.GetTimezone(), in.GetIsFeatured()
}

// errSlugTaken is the refusal of a slug another conference has.
var errSlugTaken = connect.NewError(connect.CodeAlreadyExists, errors.New("conference.slug: another conference has this slug"))

// conferenceAudit is what an audit row records of a conference.
func conferenceAudit(c *db.Conference) map[string]any {
	return map[string]any{"slug": c.Slug, "name": c.Name, "status": c.Status, "start_date": c.StartDate.Format(time.DateOnly),
		"end_date": c.EndDate.Format(time.DateOnly), "timezone": c.Timezone}
}

// CreateConference creates a draft conference; owners and admins only.
func (s *conferenceServer) CreateConference(ctx context.Context, req *connect.Request[conferencesv1.CreateConferenceRequest]) (*connect.Response[conferencesv1.CreateConferenceResponse], error) {
	fields, err := checkConferenceInput(req.Msg.GetConference())
	if err != nil {
		return nil, err
	}
	callerID := rpc.CallerID(ctx)
	c := &db.Conference{OrganizationID: uuid.MustParse(req.Msg.GetOrganizationId()), Status: enums.ConferenceDraft, CreatedBy: &callerID}
	applyConferenceInput(c, req.Msg.GetConference(), fields)
	err = s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := rpc.OrgAccess(ctx, tx, c.OrganizationID, rpc.ManagerRoles); err != nil {
			return err
		}
		if err := db.InsertConference(ctx, tx, c); errors.Is(err, db.ErrConferenceSlugTaken) {
			return errSlugTaken
		} else if err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &callerID, &c.OrganizationID, "conference", c.ID.String(), "create", conferenceAudit(c))
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&conferencesv1.CreateConferenceResponse{Conference: conferenceToProto(c, db.ConferenceAttendance{})}), nil
}

// UpdateConference replaces a conference's fields; owners and admins
// only. Dates or a zone that would leave scheduled items outside the
// conference are refused.
func (s *conferenceServer) UpdateConference(ctx context.Context, req *connect.Request[conferencesv1.UpdateConferenceRequest]) (*connect.Response[conferencesv1.UpdateConferenceResponse], error) {
	in := req.Msg.GetConference()
	fields, err := checkConferenceInput(in)
	if err != nil {
		return nil, err
	}
	var c *db.Conference
	err = s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var callerID uuid.UUID
		c, callerID, err = manageConference(ctx, tx, uuid.MustParse(req.Msg.GetConferenceId()))
		if err != nil {
			return err
		}
		if c.Status == enums.ConferenceCancelled {
			return connect.NewError(connect.CodeFailedPrecondition, errors.New("the conference is cancelled"))
		}
		outside, err := db.AgendaItemsOutsideDates(ctx, tx, c.ID, fields.start, fields.end, in.GetTimezone())
		if err != nil {
			return err
		}
		if outside > 0 {
			return connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf(
				"%d scheduled agenda items would fall outside %s to %s (%s); move or cancel them first",
				outside, in.GetStartDate(), in.GetEndDate(), in.GetTimezone()))
		}
		applyConferenceInput(c, in, fields)
		if err := db.UpdateConferenceFields(ctx, tx, c); errors.Is(err, db.ErrConferenceSlugTaken) {
			return errSlugTaken
		} else if err != nil {
			return err
		}
		// The public agenda shows the conference's fields: its ETag moves.
		if c.AgendaVersion, err = db.BumpAgendaVersion(ctx, tx, c.ID); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &callerID, &c.OrganizationID, "conference", c.ID.String(), "update", conferenceAudit(c))
	})
	if err != nil {
		return nil, err
	}
	att, err := s.attendance(ctx, c)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&conferencesv1.UpdateConferenceResponse{Conference: conferenceToProto(c, att)}), nil
}

// PublishConference makes a draft visible to members and its agenda
// public; owners and admins only.
func (s *conferenceServer) PublishConference(ctx context.Context, req *connect.Request[conferencesv1.PublishConferenceRequest]) (*connect.Response[conferencesv1.PublishConferenceResponse], error) {
	c, err := s.moveConference(ctx, uuid.MustParse(req.Msg.GetConferenceId()), enums.ConferencePublished, "",
		func(c *db.Conference) error {
			if c.Status != enums.ConferenceDraft {
				return connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("the conference is %s, not a draft", c.Status))
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	att, err := s.attendance(ctx, c)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&conferencesv1.PublishConferenceResponse{Conference: conferenceToProto(c, att)}), nil
}

// CancelConference cancels a conference and tells its attendees; owners
// and admins only.
func (s *conferenceServer) CancelConference(ctx context.Context, req *connect.Request[conferencesv1.CancelConferenceRequest]) (*connect.Response[conferencesv1.CancelConferenceResponse], error) {
	c, err := s.moveConference(ctx, uuid.MustParse(req.Msg.GetConferenceId()), enums.ConferenceCancelled, req.Msg.GetReason(),
		func(c *db.Conference) error {
			if c.Status == enums.ConferenceCancelled {
				return connect.NewError(connect.CodeFailedPrecondition, errors.New("the conference is already cancelled"))
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	att, err := s.attendance(ctx, c)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&conferencesv1.CancelConferenceResponse{Conference: conferenceToProto(c, att)}), nil
}

// moveConference moves a conference the caller manages to status once
// allowed accepts its current one, bumps its agenda version and, on a
// cancellation, tells its attendees (with reason) in the same transaction.
func (s *conferenceServer) moveConference(ctx context.Context, id uuid.UUID, status, reason string, allowed func(*db.Conference) error) (*db.Conference, error) {
	var c *db.Conference
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var callerID uuid.UUID
		var err error
		if c, callerID, err = manageConference(ctx, tx, id); err != nil {
			return err
		}
		if err := allowed(c); err != nil {
			return err
		}
		if err := db.SetConferenceStatus(ctx, tx, c, status, s.Now()); err != nil {
			return err
		}
		if c.AgendaVersion, err = db.BumpAgendaVersion(ctx, tx, c.ID); err != nil {
			return err
		}
		if status == enums.ConferenceCancelled {
			if err := s.tellAttendeesCancelled(ctx, tx, c, reason); err != nil {
				return err
			}
		}
		payload := conferenceAudit(c)
		if reason != "" {
			payload["reason"] = reason
		}
		return rpc.Audit(ctx, tx, &callerID, &c.OrganizationID, "conference", c.ID.String(), status, payload)
	})
	return c, err
}

// tellAttendeesCancelled sends each registered attendee the cancellation.
func (s *conferenceServer) tellAttendeesCancelled(ctx context.Context, tx bun.Tx, c *db.Conference, reason string) error {
	attendees, err := db.RegisteredAttendeeIDs(ctx, tx, c.ID)
	if err != nil {
		return err
	}
	body := fmt.Sprintf("%s (%s to %s) is cancelled.", c.Name, c.StartDate.Format(time.DateOnly), c.EndDate.Format(time.DateOnly))
	if reason != "" {
		body += " " + reason
	}
	notices := &jobs.Notices{River: s.River}
	for _, userID := range attendees {
		err := notices.Send(ctx, tx, jobs.Notice{Key: "conference/" + c.ID.String() + "/cancelled/" + userID.String(), To: userID,
			Category: db.CategoryEventUpdates, Title: "Conference cancelled: " + c.Name, Body: body,
			OrganizationID: &c.OrganizationID, ReferenceType: "conference", ReferenceID: c.ID.String()})
		if err != nil {
			return fmt.Errorf("tell %s conference %s is cancelled: %w", userID, c.ID, err)
		}
	}
	return nil
}

// GetConference returns a conference by ID or slug.
func (s *conferenceServer) GetConference(ctx context.Context, req *connect.Request[conferencesv1.GetConferenceRequest]) (*connect.Response[conferencesv1.GetConferenceResponse], error) {
	var c *db.Conference
	var err error
	if slug := req.Msg.GetSlug(); slug != "" {
		c, err = db.ConferenceBySlug(ctx, s.DB, slug)
	} else {
		c, err = db.ConferenceByID(ctx, s.DB, uuid.MustParse(req.Msg.GetId()))
	}
	if errors.Is(err, db.ErrNotFound) {
		return nil, errConferenceNotFound
	}
	if err != nil {
		return nil, err
	}
	if _, err := readConference(ctx, s.DB, c); err != nil {
		return nil, err
	}
	att, err := s.attendance(ctx, c)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&conferencesv1.GetConferenceResponse{Conference: conferenceToProto(c, att)}), nil
}

// ListConferences pages through an organization's conferences the caller
// may see, by start date.
func (s *conferenceServer) ListConferences(ctx context.Context, req *connect.Request[conferencesv1.ListConferencesRequest]) (*connect.Response[conferencesv1.ListConferencesResponse], error) {
	m := req.Msg
	page, err := rpc.TimePage("ListConferences", m.GetPageToken(), m.GetPageSize(), conferencesPageSize)
	if err != nil {
		return nil, err
	}
	f := db.ConferenceFilter{OrganizationID: uuid.MustParse(m.GetOrganizationId()), FeaturedOnly: m.GetFeaturedOnly(),
		AfterDate: page.LastKey, AfterID: page.LastID, Limit: page.Limit()}
	if f.From, err = optionalDate("from_date", m.GetFromDate()); err != nil {
		return nil, err
	}
	if f.To, err = optionalDate("to_date", m.GetToDate()); err != nil {
		return nil, err
	}
	role, err := rpc.OrgAccess(ctx, s.DB, f.OrganizationID, rpc.AnyRole)
	if err != nil {
		return nil, err
	}
	f.Statuses = listedStatuses(conferenceStatuses.Name(m.GetStatus()), role)
	out := &conferencesv1.ListConferencesResponse{}
	if len(f.Statuses) == 0 {
		return connect.NewResponse(out), nil
	}
	rows, err := db.ConferencesPage(ctx, s.DB, f)
	if err != nil {
		return nil, err
	}
	rows, out.NextPageToken = rpc.NextPage(page, rows, func(c *db.Conference) (time.Time, uuid.UUID) { return c.StartDate, c.ID })
	ids := make([]uuid.UUID, 0, len(rows))
	for i := range rows {
		ids = append(ids, rows[i].ID)
	}
	att, err := db.AttendanceOf(ctx, s.DB, ids, rpc.CallerID(ctx))
	if err != nil {
		return nil, err
	}
	for i := range rows {
		out.Conferences = append(out.Conferences, conferenceToProto(&rows[i], att[rows[i].ID]))
	}
	return connect.NewResponse(out), nil
}

// listedStatuses are the statuses a list shows a member with role: the
// one asked for ("" : any) among those they may see; none when they may
// see none of it.
func listedStatuses(asked, role string) []string {
	all := []string{enums.ConferenceDraft, enums.ConferencePublished, enums.ConferenceLive, enums.ConferenceCompleted, enums.ConferenceCancelled}
	var out []string
	for _, st := range all {
		if (asked == "" || asked == st) && (st != enums.ConferenceDraft || manages(role)) {
			out = append(out, st)
		}
	}
	return out
}

// optionalDate parses an optional YYYY-MM-DD field (zero when empty).
func optionalDate(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, rpc.InvalidField(field, fmt.Sprintf("%q is not a date", s))
	}
	return d, nil
}

// RegisterForConference registers the caller for a published or live
// conference; registering again changes nothing.
func (s *conferenceServer) RegisterForConference(ctx context.Context, req *connect.Request[conferencesv1.RegisterForConferenceRequest]) (*connect.Response[conferencesv1.RegisterForConferenceResponse], error) {
	callerID := rpc.CallerID(ctx)
	var a *db.ConferenceAttendee
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c, _, err := loadConference(ctx, tx, uuid.MustParse(req.Msg.GetConferenceId()))
		if err != nil {
			return err
		}
		if c.Status != enums.ConferencePublished && c.Status != enums.ConferenceLive {
			return connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("the conference is %s; registration needs a published or live one", c.Status))
		}
		a, err = db.AttendeeOf(ctx, tx, c.ID, callerID)
		if err == nil && a.Status == enums.AttendanceRegistered {
			return nil
		}
		if err != nil && !errors.Is(err, db.ErrNotFound) {
			return err
		}
		if a, err = db.RegisterAttendee(ctx, tx, c.OrganizationID, c.ID, callerID); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &callerID, &c.OrganizationID, "conference", c.ID.String(), "register", nil)
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&conferencesv1.RegisterForConferenceResponse{Attendee: attendeeToProto(a, "")}), nil
}

// CancelRegistration cancels the caller's registration.
func (s *conferenceServer) CancelRegistration(ctx context.Context, req *connect.Request[conferencesv1.CancelRegistrationRequest]) (*connect.Response[conferencesv1.CancelRegistrationResponse], error) {
	callerID := rpc.CallerID(ctx)
	var a *db.ConferenceAttendee
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c, _, err := loadConference(ctx, tx, uuid.MustParse(req.Msg.GetConferenceId()))
		if err != nil {
			return err
		}
		a, err = db.CancelAttendance(ctx, tx, c.ID, callerID, s.Now())
		if errors.Is(err, db.ErrNotFound) {
			return connect.NewError(connect.CodeNotFound, errors.New("you are not registered for this conference"))
		}
		if err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &callerID, &c.OrganizationID, "conference", c.ID.String(), "cancel_registration", nil)
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&conferencesv1.CancelRegistrationResponse{Attendee: attendeeToProto(a, "")}), nil
}

// ListAttendees pages through a conference's registrations; owners and
// admins only.
func (s *conferenceServer) ListAttendees(ctx context.Context, req *connect.Request[conferencesv1.ListAttendeesRequest]) (*connect.Response[conferencesv1.ListAttendeesResponse], error) {
	m := req.Msg
	page, err := rpc.TimePage("ListAttendees", m.GetPageToken(), m.GetPageSize(), conferencesPageSize)
	if err != nil {
		return nil, err
	}
	c, role, err := loadConference(ctx, s.DB, uuid.MustParse(m.GetConferenceId()))
	if err != nil {
		return nil, err
	}
	if !manages(role) {
		return nil, connect.NewError(connect.CodePermissionDenied, errors.New("only the organization's owners and admins list attendees"))
	}
	rows, err := db.AttendeesPage(ctx, s.DB, c.ID, page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	rows, next := rpc.NextPage(page, rows, func(r *db.AttendeeRow) (time.Time, uuid.UUID) { return r.RegisteredAt, r.ID })
	out := &conferencesv1.ListAttendeesResponse{NextPageToken: next}
	for i := range rows {
		out.Attendees = append(out.Attendees, attendeeToProto(&rows[i].ConferenceAttendee, rows[i].DisplayName))
	}
	return connect.NewResponse(out), nil
}

// LinkEvent makes an event of the same organization part of the
// conference; owners and admins only.
func (s *conferenceServer) LinkEvent(ctx context.Context, req *connect.Request[conferencesv1.LinkEventRequest]) (*connect.Response[conferencesv1.LinkEventResponse], error) {
	eventID := uuid.MustParse(req.Msg.GetEventId())
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c, callerID, err := manageConference(ctx, tx, uuid.MustParse(req.Msg.GetConferenceId()))
		if err != nil {
			return err
		}
		if c.Status == enums.ConferenceCancelled {
			return connect.NewError(connect.CodeFailedPrecondition, errors.New("the conference is cancelled"))
		}
		if err := checkOrgEvent(ctx, tx, c.OrganizationID, eventID, "event_id"); err != nil {
			return err
		}
		linked, err := db.LinkEventToConference(ctx, tx, eventID, c.ID)
		if err != nil || !linked {
			return err
		}
		return rpc.Audit(ctx, tx, &callerID, &c.OrganizationID, "conference", c.ID.String(), "link_event", map[string]any{"event_id": eventID.String()})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&conferencesv1.LinkEventResponse{ConferenceId: req.Msg.GetConferenceId(), EventId: eventID.String()}), nil
}

// checkOrgEvent refuses an event that does not exist or is not the
// organization's as NotFound naming field.
func checkOrgEvent(ctx context.Context, idb bun.IDB, orgID, eventID uuid.UUID, field string) error {
	e, err := db.EventByID(ctx, idb, eventID)
	if errors.Is(err, db.ErrNotFound) || (err == nil && (e.OrganizationID == nil || *e.OrganizationID != orgID)) {
		return connect.NewError(connect.CodeNotFound, fmt.Errorf("%s: no such event in the conference's organization", field))
	}
	return err
}

// UnlinkEvent takes an event out of the conference; owners and admins
// only.
func (s *conferenceServer) UnlinkEvent(ctx context.Context, req *connect.Request[conferencesv1.UnlinkEventRequest]) (*connect.Response[conferencesv1.UnlinkEventResponse], error) {
	eventID := uuid.MustParse(req.Msg.GetEventId())
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c, callerID, err := manageConference(ctx, tx, uuid.MustParse(req.Msg.GetConferenceId()))
		if err != nil {
			return err
		}
		if err := db.UnlinkEventFromConference(ctx, tx, eventID, c.ID); errors.Is(err, db.ErrNotFound) {
			return connect.NewError(connect.CodeNotFound, errors.New("event_id: the event is not part of this conference"))
		} else if err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &callerID, &c.OrganizationID, "conference", c.ID.String(), "unlink_event", map[string]any{"event_id": eventID.String()})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&conferencesv1.UnlinkEventResponse{EventId: eventID.String()}), nil
}

// attendance is the conference's attendee count and the caller's
// registration.
func (s *conferenceServer) attendance(ctx context.Context, c *db.Conference) (db.ConferenceAttendance, error) {
	att, err := db.AttendanceOf(ctx, s.DB, []uuid.UUID{c.ID}, rpc.CallerID(ctx))
	if err != nil {
		return db.ConferenceAttendance{}, err
	}
	return att[c.ID], nil
}

// conferenceToProto is the API's view of a conference.
func conferenceToProto(c *db.Conference, att db.ConferenceAttendance) *conferencesv1.Conference {
	return &conferencesv1.Conference{Id: c.ID.String(), OrganizationId: c.OrganizationID.String(), Slug: c.Slug, Name: c.Name,
		Description: c.Description, Status: conferenceStatuses.Value(c.Status), StartDate: c.StartDate.Format(time.DateOnly),
		EndDate: c.EndDate.Format(time.DateOnly), Timezone: c.Timezone, Venue: c.Venue, IsFeatured: c.IsFeatured,
		AgendaVersion: c.AgendaVersion, AttendeeCount: int32(att.Registered), MyRegistration: attendanceStatuses.Value(att.Mine),
		PublishedAt: optionalTime(c.PublishedAt), CancelledAt: optionalTime(c.CancelledAt), CreatedAt: timestamppb.New(c.CreatedAt)}
}

// attendeeToProto is the API's view of a registration.
func attendeeToProto(a *db.ConferenceAttendee, name string) *conferencesv1.Attendee {
	return &conferencesv1.Attendee{UserId: a.UserID.String(), DisplayName: name, Status: attendanceStatuses.Value(a.Status),
		RegisteredAt: timestamppb.New(a.RegisteredAt), CancelledAt: optionalTime(a.CancelledAt)}
}

// optionalTime is a nullable time as a Timestamp (nil for nil).
func optionalTime(t *time.Time) *timestamppb.Timestamp {
	if t == nil {
		return nil
	}
	return timestamppb.New(*t)
}
