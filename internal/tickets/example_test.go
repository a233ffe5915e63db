package tickets_test

import (
	"bytes"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/convene/convene/internal/tickets"
)

// A door scanner checks tickets offline: before the event it downloads the
// event's public key string (GetCheckinKey); at the door it needs nothing else.
func ExampleVerify() {
	// Server side: sign a ticket and publish the event's check-in key.
	keys, err := tickets.NewKeys(bytes.Repeat([]byte("k"), 32)) // a real master is random
	if err != nil {
		panic(err)
	}
	event := uuid.MustParse("5b6d2c3a-1f2e-4d5c-8b7a-6e5f4d3c0002")
	code, err := keys.Sign(tickets.Claims{
		TicketID: uuid.MustParse("0a4f7f1e-8a0e-4c1e-9d7e-2f3b7b1c0001"),
		EventID:  event,
		Seats:    2,
		IssuedAt: time.Date(2026, 11, 22, 10, 30, 0, 0, time.UTC),
	})
	if err != nil {
		panic(err)
	}
	checkinKey := tickets.EncodePublicKey(keys.PublicKey(event))

	// Door scanner: only checkinKey and the scanned code.
	pub, err := tickets.DecodePublicKey(checkinKey)
	if err != nil {
		panic(err)
	}
	claims, err := tickets.Verify(pub, code)
	if err != nil {
		fmt.Println("reject:", err)
		return
	}
	fmt.Printf("admit %d for ticket %s (code of %d characters)\n", claims.Seats, claims.TicketID, len(code))

	// A code whose issue time or seats were edited is refused.
	altered := []byte(code)
	altered[50] ^= 'A' ^ 'B'
	if _, err := tickets.Verify(pub, string(altered)); err != nil {
		fmt.Println("reject:", err)
	}
	// Output:
	// admit 2 for ticket 0a4f7f1e-8a0e-4c1e-9d7e-2f3b7b1c0001 (code of 143 characters)
	// reject: tickets: code signature does not match this event's key; the ticket is forged or for another event
}
