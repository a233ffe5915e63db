package api_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/testenv"
	contentv1 "github.com/convene/convene/proto/convene/content/v1"
	eventsv1 "github.com/convene/convene/proto/convene/events/v1"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
	notificationsv1 "github.com/convene/convene/proto/convene/notifications/v1"
)

// codeOK is the outcome of a call that succeeded; connect has no code for it.
const codeOK connect.Code = 0

// codeName names c as Connect's JSON does, "ok" for success.
func codeName(c connect.Code) string {
	if c == codeOK {
		return "ok"
	}
	return c.String()
}

// matrixFixture is the world both standing matrices call into: organization
// A with everything a tenant owns (members, events with a paid and a free
// order, a ticket, a venue, a notification job and the inbox rows it
// delivered), and organization B whose owner plays the foreign caller.
type matrixFixture struct {
	a                                     *testenv.API
	ownerA, memberA, buyerA, ownerB       testenv.Session
	orgA, orgB, venueA                    string
	paidEvent, freeEvent, draftEvent      string
	privateEvent                          string
	paidRequest, freeRequest              string
	ticket, ticketCode, job, notification string
	// Event content (content_events_test.go): an event of organization
	// A, a delegate of it, approved content and a post.
	orgEvent, delegate, contentA, postA string
	socialAccount, post                 string
	campaign, content, template, media  string
	// approvalContent is a draft of A's member; approvalWorkflow one of
	// A's approval chains.
	approvalContent, approvalWorkflow string
	// topicValues are the placeholders' values of the matrixTopics.
	topicValues map[string]string
}

// matrixTopic lets a domain topic join both standing matrices from its own
// file (api/matrix_<domain>_<topic>_test.go, registered in an init func):
// build adds the topic's rows to the fixture and returns the values of
// the topic's placeholders; tenant, input and free are its lines of
// tenantMatrix, inputMatrix and withoutForeignIDs.
type matrixTopic struct {
	name   string
	build  func(t *testing.T, f *matrixFixture) map[string]string
	tenant []tenantCase
	input  []inputCase
	free   map[string]string
}

// matrixTopics are the registered topics, in registration order.
var matrixTopics []matrixTopic

// tenantCases is tenantMatrix with every topic's lines.
func tenantCases() []tenantCase {
	out := slices.Clone(tenantMatrix)
	for _, topic := range matrixTopics {
		out = append(out, topic.tenant...)
	}
	return out
}

// inputCases is inputMatrix with every topic's lines.
func inputCases() []inputCase {
	out := slices.Clone(inputMatrix)
	for _, topic := range matrixTopics {
		out = append(out, topic.input...)
	}
	return out
}

// buildTopics adds every topic's rows to f.
func (f *matrixFixture) buildTopics(t *testing.T) {
	t.Helper()
	f.topicValues = map[string]string{}
	for _, topic := range matrixTopics {
		for k, v := range topic.build(t, f) {
			require.NotContains(t, f.topicValues, k, "topic %s reuses placeholder %s", topic.name, k)
			f.topicValues[k] = v
		}
	}
}

// newMatrixFixture builds the fixture through the real API and waits until
// every workflow it started has settled, so a snapshot taken afterwards
// changes only if a matrix call changes something.
func newMatrixFixture(t *testing.T) *matrixFixture {
	t.Helper()
	a := setup(t)
	f := &matrixFixture{a: a, ownerA: a.NewUser(t, newPhone()), memberA: a.NewUser(t, newPhone()),
		buyerA: a.NewUser(t, newPhone()), ownerB: a.NewUser(t, newPhone())}
	f.orgA = createOrg(t, a, f.ownerA, "matrix-a").GetId()
	f.orgB = createOrg(t, a, f.ownerB, "matrix-b").GetId()
	require.NoError(t, addMember(t, a, f.ownerA, f.orgA, f.memberA.Phone, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER))
	f.createEvents(t)
	f.createOrders(t)
	f.createJob(t)
	f.createEventContent(t)
	f.createSocialAccount(t)
	f.createContent(t)
	f.createApprovalRows(t)
	f.buildTopics(t)
	return f
}

// createSocialAccount connects an account of A through the sandbox's
// consent page, with one published post.
func (f *matrixFixture) createSocialAccount(t *testing.T) {
	t.Helper()
	require.Equal(t, http.StatusOK, connectThroughSandbox(t, f.a, f.ownerA, f.orgA, "x", "matrix_a", true).status)
	f.socialAccount = accountsOf(t, f.a, f.ownerA, f.orgA)[0].GetId()
	f.post = insertPost(t, f.a, f.orgA, f.memberA.UserID, mustUUID(f.socialAccount), enums.PostPublished, time.Now()).String()
}

// createContent gives A a campaign, a template, a ready media asset and a
// draft made from the template in the campaign, all by A's owner.
func (f *matrixFixture) createContent(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	cmp, err := f.a.Campaigns.CreateCampaign(ctx, testenv.As(f.ownerA, &contentv1.CreateCampaignRequest{OrganizationId: f.orgA,
		Name: "Matrix", CampaignType: contentv1.CampaignType_CAMPAIGN_TYPE_AWARENESS, StartDate: timestamppb.New(now),
		EndDate: timestamppb.New(now.Add(time.Hour))}))
	require.NoError(t, err)
	f.campaign = cmp.Msg.GetCampaign().GetId()
	tpl, err := f.a.Content.CreateTemplate(ctx, testenv.As(f.ownerA, &contentv1.CreateTemplateRequest{OrganizationId: f.orgA,
		Name: "Matrix", ContentType: contentv1.ContentType_CONTENT_TYPE_POST, Title: "{{what}}"}))
	require.NoError(t, err)
	f.template = tpl.Msg.GetTemplate().GetId()
	f.media = insertMedia(t, f.a, f.orgA, "ready")
	c, err := f.a.Content.CreateContent(ctx, testenv.As(f.ownerA, &contentv1.CreateContentRequest{OrganizationId: f.orgA,
		TemplateId: &f.template, CampaignId: &f.campaign, Variables: map[string]string{"what": "Matrix"}, MediaAssetIds: []string{f.media}}))
	require.NoError(t, err)
	f.content = c.Msg.GetContent().GetId()
}

func (f *matrixFixture) createEvents(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	venue, err := f.a.Events.CreateVenue(ctx, testenv.As(f.ownerA, &eventsv1.CreateVenueRequest{Name: "Hall A", Address: "1 Main St"}))
	require.NoError(t, err)
	f.venueA = venue.Msg.GetVenue().GetId()
	f.paidEvent = publishEvent(t, f.a, f.ownerA, eventInput(f.a, func(in *eventsv1.EventInput) {
		in.IsPaid, in.TicketPriceMinor, in.Currency, in.VenueId = true, 50000, "INR", &f.venueA
	})).GetId()
	f.freeEvent = publishEvent(t, f.a, f.ownerA, eventInput(f.a)).GetId()
	f.draftEvent = createEvent(t, f.a, f.ownerA, eventInput(f.a)).GetId()
	f.privateEvent = publishEvent(t, f.a, f.ownerA, eventInput(f.a, func(in *eventsv1.EventInput) {
		in.Visibility = eventsv1.Visibility_VISIBILITY_PRIVATE
	})).GetId()
}

// createOrders has A's buyer hold a paid order awaiting payment and a free
// order with its ticket.
func (f *matrixFixture) createOrders(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	paid, err := f.a.Ticketing.RequestToJoin(ctx, testenv.As(f.buyerA, &eventsv1.RequestToJoinRequest{EventId: f.paidEvent, Seats: 1}))
	require.NoError(t, err)
	f.paidRequest = paid.Msg.GetRequest().GetId()
	awaitCheckout(t, f.a, f.buyerA, f.paidRequest)
	free, err := f.a.Ticketing.RequestToJoin(ctx, testenv.As(f.buyerA, &eventsv1.RequestToJoinRequest{EventId: f.freeEvent, Seats: 1}))
	require.NoError(t, err)
	f.freeRequest = free.Msg.GetRequest().GetId()
	awaitStatus(t, f.a, f.buyerA, f.freeRequest, eventsv1.RequestStatus_REQUEST_STATUS_ACCEPTED)
	var tickets []*eventsv1.Ticket
	testenv.Eventually(t, 20*time.Second, func() bool {
		resp, err := f.a.Ticketing.ListMyTickets(ctx, testenv.As(f.buyerA, &eventsv1.ListMyTicketsRequest{}))
		require.NoError(t, err)
		tickets = resp.Msg.GetTickets()
		return len(tickets) == 1
	}, "the free order's ticket was never issued")
	f.ticket, f.ticketCode = tickets[0].GetId(), tickets[0].GetCode()
}

// createJob sends A's members a notification job and waits for it to complete.
func (f *matrixFixture) createJob(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	created, err := f.a.Notifications.CreateNotificationJob(ctx, testenv.As(f.ownerA, jobRequest(f.orgA, membersOf(f.orgA, "member"))))
	require.NoError(t, err)
	f.job = created.Msg.GetJob().GetId()
	testenv.Eventually(t, 30*time.Second, func() bool {
		resp, err := f.a.Notifications.ListMyNotifications(ctx, testenv.As(f.memberA, &notificationsv1.ListMyNotificationsRequest{}))
		require.NoError(t, err)
		if len(resp.Msg.GetNotifications()) == 0 {
			return false
		}
		f.notification = resp.Msg.GetNotifications()[0].GetId()
		return true
	}, "job %s never reached A's member", f.job)
	awaitJob(t, f.a, f.ownerA, f.job, notificationsv1.JobStatus_JOB_STATUS_COMPLETED, 30*time.Second)
}

// settledSnapshot snapshots every table once two snapshots a moment apart
// agree: the fixture's workflows write their last rows (inbox notices,
// job reports) just after the states the fixture waits for.
func (f *matrixFixture) settledSnapshot(t *testing.T) map[string]testenv.TableState {
	t.Helper()
	prev := testenv.Snapshot(t, f.a.DB)
	for range 50 {
		time.Sleep(300 * time.Millisecond)
		next := testenv.Snapshot(t, f.a.DB)
		if equalSnapshots(prev, next) {
			return next
		}
		prev = next
	}
	t.Fatal("the fixture's tables never settled")
	return nil
}

func equalSnapshots(a, b map[string]testenv.TableState) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// mountedProcedures is every procedure the server mounts, from api.Procedures.
func mountedProcedures(t *testing.T) []string {
	t.Helper()
	procedures, err := api.Procedures()
	require.NoError(t, err)
	require.NotEmpty(t, procedures)
	return procedures
}

// methodOf describes procedure ("/pkg.Service/Method").
func methodOf(t *testing.T, procedure string) protoreflect.MethodDescriptor {
	t.Helper()
	service, method := splitProcedure(procedure)
	desc, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(service))
	require.NoError(t, err, procedure)
	md := desc.(protoreflect.ServiceDescriptor).Methods().ByName(protoreflect.Name(method))
	require.NotNil(t, md, "no method %s", procedure)
	return md
}

func splitProcedure(procedure string) (service, method string) {
	i := strings.LastIndex(procedure, "/")
	return strings.TrimPrefix(procedure[:i], "/"), procedure[i+1:]
}

// protoJSON is msg as a Connect client sends it in JSON.
func protoJSON(t *testing.T, msg proto.Message) []byte {
	t.Helper()
	body, err := protojson.Marshal(msg)
	require.NoError(t, err)
	return body
}

// callJSON posts body (raw JSON, whatever its shape) to procedure over
// Connect's HTTP protocol, as token's holder (anonymous when token is
// empty), and returns the outcome and its message. Server streams are
// enveloped as the protocol requires and given a short deadline: a stream
// that stays open until then counts as accepted.
func callJSON(t *testing.T, a *testenv.API, procedure, token string, body []byte) (connect.Code, string) {
	t.Helper()
	streaming := methodOf(t, procedure).IsStreamingServer()
	contentType := "application/json"
	if streaming {
		contentType = "application/connect+json"
		body = envelope(0, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.URL+procedure, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Connect-Protocol-Version", "1")
	if streaming {
		req.Header.Set("Connect-Timeout-Ms", "300")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := a.HTTP.Do(req)
	require.NoError(t, err, procedure)
	defer resp.Body.Close()
	payload, err := io.ReadAll(resp.Body)
	require.NoError(t, err, procedure)
	if streaming && resp.StatusCode == http.StatusOK {
		code, msg := streamOutcome(t, payload)
		if code == connect.CodeDeadlineExceeded {
			return codeOK, "stream stayed open"
		}
		return code, msg
	}
	if resp.StatusCode == http.StatusOK {
		return codeOK, ""
	}
	return errorOutcome(t, resp.StatusCode, payload)
}

// connectError is the JSON body of a Connect error.
type connectError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// errorOutcome reads a unary Connect error; a body that is not one fails
// the test, since every refusal must carry a clear code.
func errorOutcome(t *testing.T, status int, payload []byte) (connect.Code, string) {
	t.Helper()
	var e connectError
	require.NoError(t, json.Unmarshal(payload, &e), "HTTP %d without a Connect error: %q", status, payload)
	var code connect.Code
	require.NoError(t, code.UnmarshalText([]byte(e.Code)), "HTTP %d with code %q", status, e.Code)
	return code, e.Message
}

// streamOutcome reads the end-of-stream message of a server stream.
func streamOutcome(t *testing.T, payload []byte) (connect.Code, string) {
	t.Helper()
	for len(payload) >= 5 {
		flags, size := payload[0], binary.BigEndian.Uint32(payload[1:5])
		require.LessOrEqual(t, int(size), len(payload)-5, "truncated envelope")
		msg := payload[5 : 5+size]
		payload = payload[5+size:]
		if flags&0x02 == 0 {
			continue
		}
		var end struct {
			Error *connectError `json:"error"`
		}
		require.NoError(t, json.Unmarshal(msg, &end), "end of stream: %q", msg)
		if end.Error == nil {
			return codeOK, ""
		}
		var code connect.Code
		require.NoError(t, code.UnmarshalText([]byte(end.Error.Code)), "end of stream code %q", end.Error.Code)
		return code, end.Error.Message
	}
	t.Fatalf("stream ended without an end-of-stream message")
	return codeOK, ""
}

// envelope frames one Connect streaming message.
func envelope(flags byte, msg []byte) []byte {
	out := make([]byte, 5, 5+len(msg))
	out[0] = flags
	binary.BigEndian.PutUint32(out[1:], uint32(len(msg)))
	return append(out, msg...)
}

// Placeholders name the fixture's things in the matrices' requests; fill
// replaces each with its ID (or phone, or code) in the JSON sent.
const (
	fxOrgA         = "@orgA"
	fxOrgB         = "@orgB"
	fxMemberA      = "@memberA"
	fxUserB        = "@userB"
	fxPhoneB       = "@phoneB"
	fxVenueA       = "@venueA"
	fxPaidEvent    = "@paidEvent"
	fxFreeEvent    = "@freeEvent"
	fxDraftEvent   = "@draftEvent"
	fxPrivateEvent = "@privateEvent"
	fxPaidRequest  = "@paidRequest"
	fxFreeRequest  = "@freeRequest"
	fxTicket       = "@ticket"
	fxTicketCode   = "@ticketCode"
	fxJob          = "@job"
	fxNotification = "@notification"
	fxOrgEvent     = "@orgEvent"
	fxDelegate     = "@delegate"
	fxContentA     = "@contentA"
	fxPostA        = "@postA"
	fxSocialAcct   = "@socialAccount"
	fxPost         = "@post"
	fxCampaign     = "@campaign"
	fxContent      = "@content"
	fxTemplate     = "@template"
	fxMedia        = "@media"
	// content approvals (content_approvals_test.go)
	fxApprovalContent  = "@approvalContent"
	fxApprovalWorkflow = "@approvalWorkflow"
)

// fill replaces every placeholder string in body with the fixture's value.
func (f *matrixFixture) fill(body []byte) []byte {
	values := map[string]string{fxOrgA: f.orgA, fxOrgB: f.orgB, fxMemberA: f.memberA.UserID, fxUserB: f.ownerB.UserID,
		fxPhoneB: f.ownerB.Phone, fxVenueA: f.venueA, fxPaidEvent: f.paidEvent, fxFreeEvent: f.freeEvent, fxDraftEvent: f.draftEvent,
		fxPrivateEvent: f.privateEvent, fxPaidRequest: f.paidRequest, fxFreeRequest: f.freeRequest, fxTicket: f.ticket,
		fxTicketCode: f.ticketCode, fxJob: f.job, fxNotification: f.notification, fxSocialAcct: f.socialAccount, fxPost: f.post,
		fxOrgEvent: f.orgEvent, fxDelegate: f.delegate, fxContentA: f.contentA, fxPostA: f.postA,
		fxCampaign: f.campaign, fxContent: f.content, fxTemplate: f.template, fxMedia: f.media,
		fxApprovalContent: f.approvalContent, fxApprovalWorkflow: f.approvalWorkflow}
	maps.Copy(values, f.topicValues)
	for placeholder, value := range values {
		body = bytes.ReplaceAll(body, []byte(strconv.Quote(placeholder)), []byte(strconv.Quote(value)))
	}
	return body
}

// futureEvent is a valid free event two days from now.
func futureEvent() *eventsv1.EventInput {
	start := time.Now().Add(48 * time.Hour).Truncate(time.Second)
	return &eventsv1.EventInput{Title: "Matrix night", StartsAt: timestamppb.New(start),
		EndsAt: timestamppb.New(start.Add(2 * time.Hour)), Timezone: "Asia/Kolkata", Capacity: 10}
}
