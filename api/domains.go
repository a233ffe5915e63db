package api

import (
	"fmt"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/convene/convene/api/conferences"
	"github.com/convene/convene/api/content"
	"github.com/convene/convene/api/engagement"
	"github.com/convene/convene/api/events"
	"github.com/convene/convene/api/identity"
	"github.com/convene/convene/api/notifications"
	"github.com/convene/convene/api/onboarding"
	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/api/social"
)

// domains lists every domain the API serves, each built with only the
// dependencies it uses. Adding a domain is one line here.
func domains(d Deps) []rpc.Domain {
	return []rpc.Domain{
		identity.Domain(identity.Deps{DB: d.DB, Tokens: d.Tokens, OTP: d.OTP, SMS: d.SMS, Email: d.Email, Log: d.Log, Now: d.Now, DevMode: d.DevMode, OTPLimits: d.OTPLimits,
			Telegram: d.TelegramLogin, OIDC: d.OIDCLogin}),
		events.Domain(events.Deps{DB: d.DB, Temporal: d.Temporal, River: d.River, TaskQueue: d.TaskQueue, Now: d.Now, Log: d.Log,
			Payments: d.Payments, Sandbox: d.Sandbox, Tickets: d.Tickets, PublicURL: d.PublicURL}),
		notifications.Domain(notifications.Deps{DB: d.DB, Temporal: d.Temporal, River: d.River, TaskQueue: d.TaskQueue, Now: d.Now, Log: d.Log,
			Watch: newWatchHub(d), DailySendQuota: d.NotifyDailyQuota}),
		content.Domain(content.Deps{DB: d.DB, Temporal: d.Temporal, River: d.River, TaskQueue: d.TaskQueue, Now: d.Now, Log: d.Log,
			PublicURL: d.PublicURL, Social: d.Social, SocialTokens: d.SocialTokens, SocialSandbox: d.SocialSandbox, Blob: d.Blob, Uploads: d.Uploads}),
		engagement.Domain(engagement.Deps{DB: d.DB, Temporal: d.Temporal, River: d.River, TaskQueue: d.TaskQueue, Now: d.Now, Log: d.Log,
			Tickets: d.Tickets}),
		onboarding.Domain(onboarding.Deps{DB: d.DB, Temporal: d.Temporal, River: d.River, TaskQueue: d.TaskQueue, Now: d.Now, Log: d.Log}),
		conferences.Domain(conferences.Deps{DB: d.DB, Temporal: d.Temporal, River: d.River, TaskQueue: d.TaskQueue, Now: d.Now, Log: d.Log,
			PublicURL: d.PublicURL, Secrets: d.SocialTokens, ConnectionDailyLimit: d.ConnectionDailyLimit, LinkKey: d.QuestLinkKey}),
		social.Domain(social.Deps{DB: d.DB, Temporal: d.Temporal, River: d.River, TaskQueue: d.TaskQueue, Now: d.Now, Log: d.Log,
			Safety: d.Safety}),
	}
}

// Procedures lists every Connect procedure the API mounts, as
// "/package.Service/Method", read from the services domains builds. The
// standing test matrices (api/matrix_*_test.go) require an entry for each,
// so a new RPC cannot be mounted without joining them.
func Procedures() ([]string, error) {
	var procedures []string
	for _, dom := range domains(Deps{}) {
		for _, svc := range dom.Services {
			desc, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc.Name))
			if err != nil {
				return nil, fmt.Errorf("describe service %s: %w", svc.Name, err)
			}
			sd, ok := desc.(protoreflect.ServiceDescriptor)
			if !ok {
				return nil, fmt.Errorf("%s is not a service", svc.Name)
			}
			for i := range sd.Methods().Len() {
				procedures = append(procedures, "/"+svc.Name+"/"+string(sd.Methods().Get(i).Name()))
			}
		}
	}
	return procedures, nil
}
