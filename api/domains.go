package api

import (
	"github.com/convene/convene/api/events"
	"github.com/convene/convene/api/identity"
	"github.com/convene/convene/api/notifications"
	"github.com/convene/convene/api/rpc"
)

// domains lists every domain the API serves, each built with only the
// dependencies it uses. Adding a domain is one line here.
func domains(d Deps) []rpc.Domain {
	return []rpc.Domain{
		identity.Domain(identity.Deps{DB: d.DB, Tokens: d.Tokens, OTP: d.OTP, SMS: d.SMS, Email: d.Email, Log: d.Log, Now: d.Now, DevMode: d.DevMode, OTPLimits: d.OTPLimits}),
		events.Domain(events.Deps{DB: d.DB, Temporal: d.Temporal, River: d.River, TaskQueue: d.TaskQueue, Now: d.Now, Log: d.Log,
			Payments: d.Payments, Sandbox: d.Sandbox, Tickets: d.Tickets, PublicURL: d.PublicURL}),
		notifications.Domain(notifications.Deps{DB: d.DB, Temporal: d.Temporal, River: d.River, TaskQueue: d.TaskQueue, Now: d.Now, Log: d.Log,
			Watch: newWatchHub(d), DailySendQuota: d.NotifyDailyQuota}),
	}
}
