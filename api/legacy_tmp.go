package api

import (
	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/proto/convene/events/v1/eventsv1connect"
)

func legacyDomain(d Deps) rpc.Domain {
	dom := rpc.Domain{
		Services: []rpc.Service{
			rpc.NewService[eventsv1connect.EventServiceHandler](eventsv1connect.EventServiceName, &eventServer{Deps: d}, eventsv1connect.NewEventServiceHandler),
			rpc.NewService[eventsv1connect.TicketingServiceHandler](eventsv1connect.TicketingServiceName, &ticketingServer{Deps: d}, eventsv1connect.NewTicketingServiceHandler),
		},
		Routes: []rpc.Route{{Pattern: "POST /webhooks/payments/{provider}", Handler: &paymentWebhook{d}}},
	}
	if d.Sandbox != nil {
		dom.Routes = append(dom.Routes, rpc.Route{Pattern: "/sandbox/checkout/", Handler: d.Sandbox.Handler()})
	}
	return dom
}
