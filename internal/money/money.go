// Package money prices Convene tickets in integer minor units (paise,
// cents): the subtotal for a number of seats, GST on it, the platform fee
// and what the host is paid. No floating point is used anywhere: every
// product is computed exactly in math/big and every division rounds by a
// rule stated on Quote, so the same inputs give the same paise on every
// machine and in every layer.
package money

import (
	"errors"
	"fmt"
	"math/big"
)

// bpsDenominator is 100% in basis points.
const bpsDenominator = 10_000

// FeeMode says who pays the platform fee.
type FeeMode string

// Fee modes.
const (
	// FeeAbsorbed: the buyer pays price+GST and the fee comes out of the
	// host's payout.
	FeeAbsorbed FeeMode = "absorbed"
	// FeePassed: the fee is added to the buyer's total, grossed up so that
	// the platform's cut of that total still leaves the host price+GST.
	FeePassed FeeMode = "passed"
)

// Errors Quote and Pricing.Validate return, wrapped with the offending
// field. Callers branch on them with errors.Is.
var (
	ErrNegativeAmount  = errors.New("money: amount is negative; prices and fees are minor units ≥ 0")
	ErrBpsOutOfRange   = errors.New("money: basis points out of range; use 0..10000 (and < 10000 for a passed fee)")
	ErrInvalidFeeMode  = errors.New(`money: unknown fee mode; use "absorbed" or "passed"`)
	ErrInvalidCurrency = errors.New("money: currency must be a three-letter upper-case ISO 4217 code such as INR")
	ErrInvalidSeats    = errors.New("money: seats must be at least 1")
	ErrOverflow        = errors.New("money: amount does not fit in int64 minor units; lower the price or seats")
	ErrFeeExceedsTotal = errors.New("money: absorbed platform fee exceeds the order total; raise the ticket price")
)

// Pricing is how one ticket type of an event is priced.
type Pricing struct {
	// UnitPrice is the price of one seat in minor units, before GST. Zero
	// means a free ticket: no GST and no platform fee.
	UnitPrice int64
	// Currency is the ISO 4217 code the amounts are in, e.g. "INR".
	Currency string
	// GSTBps is GST on the subtotal in basis points (1800 = 18%).
	GSTBps int32
	// FeeFixed is the fixed part of the platform fee, per order, in minor units.
	FeeFixed int64
	// FeeBps is the proportional part of the platform fee in basis points.
	FeeBps int32
	// FeeMode says whether the host absorbs the fee or the buyer pays it.
	FeeMode FeeMode
}

// Breakdown is the priced order: what the buyer pays and who gets what.
// Every amount is in minor units of Currency.
type Breakdown struct {
	Seats int32
	// UnitPrice is the per-seat price the breakdown was computed from.
	UnitPrice int64
	// Subtotal is UnitPrice × Seats.
	Subtotal int64
	// GST is tax on Subtotal.
	GST int64
	// PlatformFee is what Convene keeps.
	PlatformFee int64
	// Total is what the buyer pays.
	Total int64
	// HostPayout is Total − PlatformFee.
	HostPayout int64
	Currency   string
}

// Validate reports whether p can be quoted, independent of the seat count,
// so an event's pricing can be checked when the host saves it.
func (p Pricing) Validate() error {
	switch {
	case p.UnitPrice < 0:
		return fmt.Errorf("unit price %d: %w", p.UnitPrice, ErrNegativeAmount)
	case p.FeeFixed < 0:
		return fmt.Errorf("fixed fee %d: %w", p.FeeFixed, ErrNegativeAmount)
	case p.GSTBps < 0 || p.GSTBps > bpsDenominator:
		return fmt.Errorf("gst bps %d: %w", p.GSTBps, ErrBpsOutOfRange)
	case p.FeeBps < 0 || p.FeeBps > bpsDenominator:
		return fmt.Errorf("fee bps %d: %w", p.FeeBps, ErrBpsOutOfRange)
	case p.FeeMode == FeePassed && p.FeeBps == bpsDenominator:
		// Grossing up a 100% fee divides by zero: no total leaves the host anything.
		return fmt.Errorf("passed fee bps %d: %w", p.FeeBps, ErrBpsOutOfRange)
	case p.FeeMode != FeeAbsorbed && p.FeeMode != FeePassed:
		return fmt.Errorf("fee mode %q: %w", p.FeeMode, ErrInvalidFeeMode)
	case !isCurrencyCode(p.Currency):
		return fmt.Errorf("currency %q: %w", p.Currency, ErrInvalidCurrency)
	}
	return nil
}

// Quote prices an order of seats under p.
//
// Rounding, all in exact integer arithmetic (base = Subtotal + GST):
//
//   - Subtotal = UnitPrice × seats, exact.
//   - GST = round half up of Subtotal × GSTBps / 10000.
//   - FeeAbsorbed: PlatformFee = round half up of FeeFixed + base × FeeBps / 10000;
//     Total = base; HostPayout = base − PlatformFee. A fee larger than the
//     total is ErrFeeExceedsTotal rather than a negative payout.
//   - FeePassed: PlatformFee = ceil((FeeFixed × 10000 + base × FeeBps) / (10000 − FeeBps));
//     Total = base + PlatformFee; HostPayout = base. Rounding up means the
//     platform's schedule applied to Total (FeeFixed + Total × FeeBps/10000)
//     never exceeds PlatformFee, and falls short of it by less than one minor unit.
//
// The fixed fee is charged once per order, not per seat. A free ticket
// (UnitPrice 0) quotes all zeros: no fixed fee is charged on it.
//
// Intermediate products are computed in math/big and cannot overflow; every
// amount in the result must fit in int64 (up to 9,223,372,036,854,775,807
// minor units), otherwise Quote returns ErrOverflow.
func Quote(p Pricing, seats int32) (Breakdown, error) {
	if err := p.Validate(); err != nil {
		return Breakdown{}, err
	}
	if seats < 1 {
		return Breakdown{}, fmt.Errorf("seats %d: %w", seats, ErrInvalidSeats)
	}
	b := Breakdown{Seats: seats, UnitPrice: p.UnitPrice, Currency: p.Currency}
	if p.UnitPrice == 0 {
		return b, nil
	}

	subtotal := mul(big.NewInt(p.UnitPrice), int64(seats))
	gst := divRoundHalfUp(mul(subtotal, int64(p.GSTBps)), bpsDenominator)
	base := new(big.Int).Add(subtotal, gst)

	// Fee numerator scaled by 10000: FeeFixed×10000 + base×FeeBps.
	feeNum := new(big.Int).Add(mul(big.NewInt(p.FeeFixed), bpsDenominator), mul(base, int64(p.FeeBps)))
	var fee, total *big.Int
	if p.FeeMode == FeeAbsorbed {
		fee = divRoundHalfUp(feeNum, bpsDenominator)
		total = base
		if fee.Cmp(total) > 0 {
			return Breakdown{}, fmt.Errorf("fee %s on total %s %s: %w", fee, total, p.Currency, ErrFeeExceedsTotal)
		}
	} else {
		fee = divCeil(feeNum, bpsDenominator-int64(p.FeeBps))
		total = new(big.Int).Add(base, fee)
	}
	payout := new(big.Int).Sub(total, fee)

	for _, f := range []struct {
		dst *int64
		v   *big.Int
	}{
		{&b.Subtotal, subtotal}, {&b.GST, gst}, {&b.PlatformFee, fee},
		{&b.Total, total}, {&b.HostPayout, payout},
	} {
		if !f.v.IsInt64() {
			return Breakdown{}, fmt.Errorf("amount %s: %w", f.v, ErrOverflow)
		}
		*f.dst = f.v.Int64()
	}
	return b, nil
}

// mul returns a×b as a new big.Int.
func mul(a *big.Int, b int64) *big.Int {
	return new(big.Int).Mul(a, big.NewInt(b))
}

// divRoundHalfUp returns n/d rounded to the nearest integer, halves up,
// for n ≥ 0 and d > 0: floor((2n + d) / 2d).
func divRoundHalfUp(n *big.Int, d int64) *big.Int {
	num := new(big.Int).Lsh(n, 1)
	num.Add(num, big.NewInt(d))
	return num.Quo(num, big.NewInt(2*d))
}

// divCeil returns ⌈n/d⌉ for n ≥ 0 and d > 0: floor((n + d − 1) / d).
func divCeil(n *big.Int, d int64) *big.Int {
	num := new(big.Int).Add(n, big.NewInt(d-1))
	return num.Quo(num, big.NewInt(d))
}

// isCurrencyCode reports whether s has the shape of an ISO 4217 code. It
// does not check the code is assigned: that list changes and is not ours.
func isCurrencyCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := range len(s) {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}
