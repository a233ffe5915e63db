package onboarding

// Offices and holiday calendars: the working calendars onboardings follow.

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/workcal"
	onboardingv1 "github.com/convene/convene/proto/convene/onboarding/v1"
)

// The send window an office gets when the request leaves an end empty (the
// columns' defaults).
const (
	defaultWindowStart = "09:00"
	defaultWindowEnd   = "17:00"
)

// UpsertOffice creates an office or replaces one's settings; HR only.
func (s *server) UpsertOffice(ctx context.Context, req *connect.Request[onboardingv1.UpsertOfficeRequest]) (*connect.Response[onboardingv1.UpsertOfficeResponse], error) {
	o := officeFromProto(req.Msg)
	action := "create"
	if o.ID != uuid.Nil {
		action = "update"
	}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		callerID, err := hrAccess(ctx, tx, o.OrganizationID)
		if err != nil {
			return err
		}
		if err := checkOffice(ctx, tx, o); err != nil {
			return err
		}
		if err := db.SaveOffice(ctx, tx, o); errors.Is(err, db.ErrNotFound) {
			return connect.NewError(connect.CodeNotFound, errors.New("office not found"))
		} else if errors.Is(err, db.ErrOfficeNameTaken) {
			return connect.NewError(connect.CodeAlreadyExists, fmt.Errorf("name: %w", db.ErrOfficeNameTaken))
		} else if err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &callerID, &o.OrganizationID, "office", o.ID.String(), action, map[string]any{
			"name": o.Name, "time_zone": o.TimeZone, "workdays": o.Workdays, "send_window_start": o.SendWindowStart,
			"send_window_end": o.SendWindowEnd, "holiday_calendar_id": rpc.IDString(o.HolidayCalendarID)})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&onboardingv1.UpsertOfficeResponse{Office: officeToProto(o)}), nil
}

// checkOffice refuses what protovalidate cannot see: a time zone that does
// not load, a holiday calendar that is not the organization's.
func checkOffice(ctx context.Context, idb bun.IDB, o *db.Office) error {
	cal, err := o.Calendar(nil)
	if err == nil {
		err = cal.Validate()
	}
	if errors.Is(err, workcal.ErrInvalidTimeZone) {
		return rpc.InvalidField("time_zone", fmt.Sprintf("%q is not an IANA time zone; use a name such as America/New_York", o.TimeZone))
	}
	if err != nil {
		return err
	}
	if o.HolidayCalendarID == nil {
		return nil
	}
	if _, err := db.HolidayCalendarInOrg(ctx, idb, o.OrganizationID, *o.HolidayCalendarID); errors.Is(err, db.ErrNotFound) {
		return connect.NewError(connect.CodeNotFound, errors.New("holiday_calendar_id: holiday calendar not found"))
	} else if err != nil {
		return err
	}
	return nil
}

// ListOffices returns an organization's offices and holiday calendars; HR
// only.
func (s *server) ListOffices(ctx context.Context, req *connect.Request[onboardingv1.ListOfficesRequest]) (*connect.Response[onboardingv1.ListOfficesResponse], error) {
	orgID := uuid.MustParse(req.Msg.GetOrganizationId())
	if _, err := hrAccess(ctx, s.DB, orgID); err != nil {
		return nil, err
	}
	offices, err := db.OfficesOf(ctx, s.DB, orgID)
	if err != nil {
		return nil, err
	}
	calendars, err := db.HolidayCalendarsOf(ctx, s.DB, orgID)
	if err != nil {
		return nil, err
	}
	out := &onboardingv1.ListOfficesResponse{}
	for i := range offices {
		out.Offices = append(out.Offices, officeToProto(&offices[i]))
	}
	for i := range calendars {
		out.HolidayCalendars = append(out.HolidayCalendars, calendarToProto(&calendars[i]))
	}
	return connect.NewResponse(out), nil
}

// SetHolidays replaces the given years of a calendar's holidays, creating
// a named calendar the organization lacks; HR only.
func (s *server) SetHolidays(ctx context.Context, req *connect.Request[onboardingv1.SetHolidaysRequest]) (*connect.Response[onboardingv1.SetHolidaysResponse], error) {
	m := req.Msg
	orgID := uuid.MustParse(m.GetOrganizationId())
	years := make([]int, 0, len(m.GetYears()))
	for _, y := range m.GetYears() {
		years = append(years, int(y))
	}
	holidays, err := holidaysFromProto(m.GetHolidays(), years)
	if err != nil {
		return nil, err
	}
	var cal *db.HolidayCalendar
	err = s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		callerID, err := hrAccess(ctx, tx, orgID)
		if err != nil {
			return err
		}
		created := false
		if m.GetCalendarId() != "" {
			cal, err = db.LockHolidayCalendar(ctx, tx, orgID, uuid.MustParse(m.GetCalendarId()))
		} else {
			cal, created, err = db.EnsureHolidayCalendar(ctx, tx, orgID, m.GetCalendarName())
		}
		if errors.Is(err, db.ErrNotFound) {
			return connect.NewError(connect.CodeNotFound, errors.New("calendar_id: holiday calendar not found"))
		} else if err != nil {
			return err
		}
		if err := db.ReplaceHolidays(ctx, tx, cal, years, holidays); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &callerID, &orgID, "holiday_calendar", cal.ID.String(), "set_holidays",
			map[string]any{"name": cal.Name, "created": created, "years": years, "holidays": len(holidays)})
	})
	if err != nil {
		return nil, err
	}
	stored, err := db.HolidaysOfYears(ctx, s.DB, cal.ID, years...)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&onboardingv1.SetHolidaysResponse{Calendar: calendarToProto(cal), Holidays: holidaysToProto(stored)}), nil
}

// holidaysFromProto parses a request's holidays, refusing a date that does
// not exist, falls outside years, or comes twice.
func holidaysFromProto(in []*onboardingv1.Holiday, years []int) ([]db.Holiday, error) {
	out := make([]db.Holiday, 0, len(in))
	seen := map[workcal.Date]bool{}
	for i, h := range in {
		field := fmt.Sprintf("holidays[%d].date", i)
		d, err := workcal.ParseDate(h.GetDate())
		switch {
		case err != nil:
			return nil, rpc.InvalidField(field, fmt.Sprintf("%q is not a date", h.GetDate()))
		case !slices.Contains(years, d.Year):
			return nil, rpc.InvalidField(field, fmt.Sprintf("%s is not in the years being replaced %v", d, years))
		case seen[d]:
			return nil, rpc.InvalidField(field, fmt.Sprintf("%s is listed twice", d))
		}
		seen[d] = true
		out = append(out, db.Holiday{Date: d.MidnightUTC(), Name: h.GetName()})
	}
	return out, nil
}

// ListHolidays returns one year of a calendar's holidays; HR only.
func (s *server) ListHolidays(ctx context.Context, req *connect.Request[onboardingv1.ListHolidaysRequest]) (*connect.Response[onboardingv1.ListHolidaysResponse], error) {
	m := req.Msg
	orgID := uuid.MustParse(m.GetOrganizationId())
	if _, err := hrAccess(ctx, s.DB, orgID); err != nil {
		return nil, err
	}
	cal, err := db.HolidayCalendarInOrg(ctx, s.DB, orgID, uuid.MustParse(m.GetCalendarId()))
	if errors.Is(err, db.ErrNotFound) {
		return nil, connect.NewError(connect.CodeNotFound, errors.New("calendar_id: holiday calendar not found"))
	} else if err != nil {
		return nil, err
	}
	holidays, err := db.HolidaysOfYears(ctx, s.DB, cal.ID, int(m.GetYear()))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&onboardingv1.ListHolidaysResponse{Calendar: calendarToProto(cal), Holidays: holidaysToProto(holidays)}), nil
}

// officeFromProto is the office a request describes, with the defaults of
// the fields it leaves empty and its workdays in order.
func officeFromProto(m *onboardingv1.UpsertOfficeRequest) *db.Office {
	o := &db.Office{OrganizationID: uuid.MustParse(m.GetOrganizationId()), Name: m.GetName(), TimeZone: m.GetTimeZone(),
		Workdays: slices.Clone(db.DefaultWorkdays), SendWindowStart: defaultWindowStart, SendWindowEnd: defaultWindowEnd,
		HolidayCalendarID: rpc.OptionalID(m.GetHolidayCalendarId())}
	if id := rpc.OptionalID(m.GetOfficeId()); id != nil {
		o.ID = *id
	}
	if len(m.GetWorkdays()) > 0 {
		o.Workdays = o.Workdays[:0]
		for _, d := range m.GetWorkdays() {
			o.Workdays = append(o.Workdays, int16(d))
		}
		slices.Sort(o.Workdays)
	}
	if m.GetSendWindowStart() != "" {
		o.SendWindowStart = m.GetSendWindowStart()
	}
	if m.GetSendWindowEnd() != "" {
		o.SendWindowEnd = m.GetSendWindowEnd()
	}
	return o
}

func officeToProto(o *db.Office) *onboardingv1.Office {
	out := &onboardingv1.Office{Id: o.ID.String(), OrganizationId: o.OrganizationID.String(), Name: o.Name, TimeZone: o.TimeZone,
		SendWindowStart: hhmm(o.SendWindowStart), SendWindowEnd: hhmm(o.SendWindowEnd), HolidayCalendarId: rpc.IDString(o.HolidayCalendarID)}
	for _, d := range o.Workdays {
		out.Workdays = append(out.Workdays, int32(d))
	}
	return out
}

// hhmm is a time column ("15:04:05", or "15:04" as written) as HH:MM.
func hhmm(t string) string {
	if len(t) > 5 {
		return t[:5]
	}
	return t
}

func calendarToProto(c *db.HolidayCalendar) *onboardingv1.HolidayCalendar {
	return &onboardingv1.HolidayCalendar{Id: c.ID.String(), OrganizationId: c.OrganizationID.String(), Name: c.Name}
}

func holidaysToProto(hs []db.Holiday) []*onboardingv1.Holiday {
	out := make([]*onboardingv1.Holiday, 0, len(hs))
	for _, h := range hs {
		out = append(out, &onboardingv1.Holiday{Date: workcal.DateFromTime(h.Date).String(), Name: h.Name})
	}
	return out
}
