package money_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/internal/money"
)

// amounts is the expected money part of a Breakdown, in minor units.
type amounts struct {
	subtotal, gst, fee, total, payout int64
}

func TestQuote(t *testing.T) {
	t.Parallel()
	inr := func(unit int64, gst int32, fixed int64, bps int32, mode money.FeeMode) money.Pricing {
		return money.Pricing{UnitPrice: unit, Currency: "INR", GSTBps: gst, FeeFixed: fixed, FeeBps: bps, FeeMode: mode}
	}
	usd := func(unit int64, tax int32, mode money.FeeMode) money.Pricing {
		return money.Pricing{UnitPrice: unit, Currency: "USD", GSTBps: tax, FeeFixed: 30, FeeBps: 290, FeeMode: mode}
	}
	abs, pass := money.FeeAbsorbed, money.FeePassed

	tests := []struct {
		name    string
		pricing money.Pricing
		seats   int32
		want    amounts
		wantErr error
	}{
		// Free and tiny prices.
		{"free charges nothing, not even the fixed fee", inr(0, 1800, 1000, 200, pass), 3, amounts{}, nil},
		{"one paisa: 18% GST of 0.18 rounds to 0", inr(1, 1800, 0, 0, abs), 1, amounts{1, 0, 0, 1, 1}, nil},
		{"exact GST", inr(10000, 1800, 0, 0, abs), 1, amounts{10000, 1800, 0, 11800, 11800}, nil},

		// GST half-up boundaries.
		{"GST 0.5 rounds up", inr(1, 5000, 0, 0, abs), 1, amounts{1, 1, 0, 2, 2}, nil},
		{"GST 0.4999 rounds down", inr(1, 4999, 0, 0, abs), 1, amounts{1, 0, 0, 1, 1}, nil},
		{"GST 4.5 rounds up", inr(25, 1800, 0, 0, abs), 1, amounts{25, 5, 0, 30, 30}, nil},
		{"GST 100%", inr(700, 10000, 0, 0, abs), 2, amounts{1400, 1400, 0, 2800, 2800}, nil},

		// Absorbed fee rounding.
		{"absorbed fee 0.5 rounds up", inr(50, 0, 0, 100, abs), 1, amounts{50, 0, 1, 50, 49}, nil},
		{"absorbed fee 0.49 rounds down", inr(49, 0, 0, 100, abs), 1, amounts{49, 0, 0, 49, 49}, nil},
		{"absorbed 100% fee leaves host nothing", inr(500, 0, 0, 10000, abs), 1, amounts{500, 0, 500, 500, 0}, nil},

		// Passed fee ceiling boundaries.
		{"passed fee divides exactly: no overshoot", inr(99, 0, 0, 100, pass), 1, amounts{99, 0, 1, 100, 99}, nil},
		{"passed fee 1.0101 rounds up to 2", inr(100, 0, 0, 100, pass), 1, amounts{100, 0, 2, 102, 100}, nil},
		{"passed fee 99.99%", inr(1, 0, 0, 9999, pass), 1, amounts{1, 0, 9999, 10000, 1}, nil},
		{"passed fixed fee only", inr(100, 0, 7, 0, pass), 1, amounts{100, 0, 7, 107, 100}, nil},

		// Worked examples.
		{"₹499 × 3, 18% GST, 2% + ₹10 absorbed", inr(49900, 1800, 1000, 200, abs), 3,
			amounts{149700, 26946, 4533, 176646, 172113}, nil},
		{"₹499 × 3, 18% GST, 2% + ₹10 passed", inr(49900, 1800, 1000, 200, pass), 3,
			amounts{149700, 26946, 4626, 181272, 176646}, nil},
		{"$20, 2.9% + 30¢ passed", usd(2000, 0, pass), 1, amounts{2000, 0, 91, 2091, 2000}, nil},
		{"$20, 2.9% + 30¢ absorbed", usd(2000, 0, abs), 1, amounts{2000, 0, 88, 2000, 1912}, nil},
		{"$12.50 × 4, fixed fee once per order", usd(1250, 0, pass), 4, amounts{5000, 0, 181, 5181, 5000}, nil},
		{"$12.50 × 4, 8.25% tax 412.5 rounds up", usd(1250, 825, pass), 4, amounts{5000, 413, 193, 5606, 5413}, nil},
		{"largest amount that fits", inr(math.MaxInt64, 0, 0, 0, abs), 1,
			amounts{math.MaxInt64, 0, 0, math.MaxInt64, math.MaxInt64}, nil},

		// Errors.
		{"GST bps above 100%", inr(100, 10001, 0, 0, abs), 1, amounts{}, money.ErrBpsOutOfRange},
		{"fee bps above 100%", inr(100, 0, 0, 10001, abs), 1, amounts{}, money.ErrBpsOutOfRange},
		{"passed fee of 100% cannot be grossed up", inr(100, 0, 0, 10000, pass), 1, amounts{}, money.ErrBpsOutOfRange},
		{"negative GST bps", inr(100, -1, 0, 0, abs), 1, amounts{}, money.ErrBpsOutOfRange},
		{"negative price", inr(-1, 0, 0, 0, abs), 1, amounts{}, money.ErrNegativeAmount},
		{"negative fixed fee", inr(100, 0, -1, 0, abs), 1, amounts{}, money.ErrNegativeAmount},
		{"zero seats", inr(100, 0, 0, 0, abs), 0, amounts{}, money.ErrInvalidSeats},
		{"negative seats", inr(100, 0, 0, 0, abs), -2, amounts{}, money.ErrInvalidSeats},
		{"subtotal overflows", inr(math.MaxInt64, 0, 0, 0, abs), 2, amounts{}, money.ErrOverflow},
		{"GST pushes total over", inr(math.MaxInt64, 1, 0, 0, abs), 1, amounts{}, money.ErrOverflow},
		{"passed fee pushes total over", inr(math.MaxInt64, 0, 1, 0, pass), 1, amounts{}, money.ErrOverflow},
		{"absorbed fixed fee above price", inr(10, 0, 30, 0, abs), 1, amounts{}, money.ErrFeeExceedsTotal},
		{"unknown fee mode", inr(100, 0, 0, 0, ""), 1, amounts{}, money.ErrInvalidFeeMode},
		{"lower-case currency", money.Pricing{UnitPrice: 1, Currency: "inr", FeeMode: abs}, 1, amounts{}, money.ErrInvalidCurrency},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := money.Quote(tc.pricing, tc.seats)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				assert.Equal(t, money.Breakdown{}, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, amounts{got.Subtotal, got.GST, got.PlatformFee, got.Total, got.HostPayout})
			assert.Equal(t, tc.seats, got.Seats)
			assert.Equal(t, tc.pricing.UnitPrice, got.UnitPrice)
			assert.Equal(t, tc.pricing.Currency, got.Currency)
		})
	}
}

// TestQuote_Properties checks the rounding rules on random inputs. Inputs
// are bounded so the exact values, scaled by 10000, fit in int64.
func TestQuote_Properties(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(20261122, 1))
	for i := range 100_000 {
		mode := money.FeePassed
		if i%4 == 0 {
			mode = money.FeeAbsorbed
		}
		p := money.Pricing{
			UnitPrice: 1 + rng.Int64N(10_000_000),
			Currency:  "INR",
			GSTBps:    rng.Int32N(10_001),
			FeeFixed:  rng.Int64N(1_000),
			FeeBps:    rng.Int32N(10_000),
			FeeMode:   mode,
		}
		seats := 1 + rng.Int32N(50)
		b, err := money.Quote(p, seats)
		if mode == money.FeeAbsorbed && err != nil {
			require.ErrorIs(t, err, money.ErrFeeExceedsTotal, "%+v × %d", p, seats)
			continue
		}
		require.NoError(t, err, "%+v × %d", p, seats)
		base := b.Subtotal + b.GST

		// GST is subtotal×bps/10000 rounded half up: error in (−0.5, 0.5].
		gstErr := b.GST*10_000 - b.Subtotal*int64(p.GSTBps)
		require.True(t, gstErr > -5_000 && gstErr <= 5_000, "gst %+v × %d: %+v", p, seats, b)
		require.Equal(t, b.Total-b.PlatformFee, b.HostPayout)

		// The platform's schedule, scaled by 10000.
		schedule := func(amount int64) int64 { return p.FeeFixed*10_000 + amount*int64(p.FeeBps) }
		if mode == money.FeeAbsorbed {
			require.Equal(t, base, b.Total)
			feeErr := b.PlatformFee*10_000 - schedule(base)
			require.True(t, feeErr > -5_000 && feeErr <= 5_000, "absorbed %+v × %d: %+v", p, seats, b)
			continue
		}
		// Passed: if the platform took exactly its schedule of what the buyer
		// paid, the host would keep at least price+GST and under one minor
		// unit more.
		require.Equal(t, base, b.HostPayout)
		hostKeeps := b.Total*10_000 - schedule(b.Total)
		require.GreaterOrEqual(t, hostKeeps, base*10_000, "passed %+v × %d: %+v", p, seats, b)
		require.Less(t, hostKeeps, (base+1)*10_000, "passed %+v × %d: %+v", p, seats, b)
	}
}
