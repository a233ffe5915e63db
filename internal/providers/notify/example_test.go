package notify_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/providers/notify"
)

// A delivery worker retries only what can succeed later, and the sandbox
// shows what reached the user.
func ExampleSandbox() {
	push := notify.NewSandbox(enums.ChannelPush)
	push.FailNext(1, errors.New("FCM unavailable"))
	push.FailFor("stale-token", fmt.Errorf("device unregistered: %w", notify.ErrPermanent))

	deliver := func(m notify.Message) {
		for attempt := 1; attempt <= 3; attempt++ {
			id, err := push.Send(context.Background(), m)
			switch {
			case err == nil:
				fmt.Println(m.To, "delivered as", id)
				return
			case errors.Is(err, notify.ErrPermanent):
				fmt.Println(m.To, "dropped:", err)
				return
			}
			fmt.Println(m.To, "attempt", attempt, "failed, retrying")
		}
	}
	deliver(notify.Message{IdempotencyKey: "item-1", To: "device-a", Title: "Doors open"})
	deliver(notify.Message{IdempotencyKey: "item-1", To: "device-a", Title: "Doors open"}) // a duplicate job run
	deliver(notify.Message{IdempotencyKey: "item-2", To: "stale-token", Title: "Doors open"})
	fmt.Println("delivered:", push.Count())
	// Output:
	// device-a attempt 1 failed, retrying
	// device-a delivered as sandbox-push-1
	// device-a delivered as sandbox-push-1
	// stale-token dropped: device unregistered: permanent delivery failure: do not retry; fix or remove the recipient
	// delivered: 1
}
