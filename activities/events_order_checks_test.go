package activities

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/providers/payment"
)

func TestComparePayment(t *testing.T) {
	t.Parallel()
	order := &db.PaymentOrder{AmountMinor: 1180, Currency: "INR"}
	tests := []struct {
		name    string
		pay     payment.Payment
		paid    bool
		matches bool
	}{
		{"paid as quoted", payment.Payment{Status: payment.StatusPaid, Amount: 1180, Currency: "inr"}, true, true},
		{"not paid", payment.Payment{Status: payment.StatusPending, Amount: 1180, Currency: "INR"}, false, false},
		{"paid less", payment.Payment{Status: payment.StatusPaid, Amount: 100, Currency: "INR"}, true, false},
		{"paid more", payment.Payment{Status: payment.StatusPaid, Amount: 5000, Currency: "INR"}, true, false},
		{"other currency", payment.Payment{Status: payment.StatusPaid, Amount: 1180, Currency: "USD"}, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := comparePayment(order, tc.pay)
			assert.Equal(t, tc.paid, got.Paid)
			assert.Equal(t, tc.matches, got.Matches)
			assert.Equal(t, tc.matches, got.Problem == "", "a refused payment says why")
		})
	}
}

func TestRefundable_NeverMoreThanPaidAndNotRefunded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		paid, refunded int64
		asked, want    int64
	}{
		{"all when asked 0", 1180, 0, 0, 1180},
		{"what was asked", 1180, 0, 500, 500},
		{"capped at what was paid", 1180, 0, 5900, 1180},
		{"capped at what is left", 1180, 1000, 1180, 180},
		{"nothing left", 1180, 1180, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := refundable(&db.PaymentOrder{AmountMinor: tc.paid, RefundedMinor: tc.refunded}, tc.asked)
			assert.Equal(t, tc.want, got)
		})
	}
}
