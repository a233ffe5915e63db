package auth

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxWrongCodeWindow is the longest wrong-code window accepted: wrong codes
// are kept that long (jobs.PurgeCredentialsWorker).
const MaxWrongCodeWindow = 7 * 24 * time.Hour

// ParseOTPLimits reads a CONVENE_AUTH_LIMITS value over base: comma-separated
// key=value pairs, any subset of
//
//	otp_cooldown=30s,otp_per_phone=5/h,otp_per_ip=30/h,wrong_codes=10/24h,lock=1h
//
// Keys left out keep base's value, so a load test can raise only
// otp_per_ip without trusting forwarded headers.
func ParseOTPLimits(spec string, base OTPLimits) (OTPLimits, error) {
	out := base
	var errs []error
	for _, pair := range strings.Split(spec, ",") {
		if pair = strings.TrimSpace(pair); pair == "" {
			continue
		}
		key, value, ok := strings.Cut(pair, "=")
		if !ok {
			errs = append(errs, fmt.Errorf("%q is not key=value", pair))
			continue
		}
		if err := out.set(strings.TrimSpace(key), strings.TrimSpace(value)); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", key, err))
		}
	}
	return out, errors.Join(errs...)
}

// set applies one key of a CONVENE_AUTH_LIMITS value.
func (l *OTPLimits) set(key, value string) error {
	var err error
	switch key {
	case "otp_cooldown":
		l.PhoneCooldown, err = parseDuration(value)
	case "otp_per_phone":
		l.PerPhonePerHour, err = parseHourly(value)
	case "otp_per_ip":
		l.PerIPPerHour, err = parseHourly(value)
	case "wrong_codes":
		l.WrongCodes, l.WrongCodeWindow, err = parseQuota(value)
		if err == nil && l.WrongCodeWindow > MaxWrongCodeWindow {
			err = fmt.Errorf("the window is at most %s", MaxWrongCodeWindow)
		}
	case "lock":
		l.LockFor, err = parseDuration(value)
	default:
		return errors.New("unknown key; use otp_cooldown, otp_per_phone, otp_per_ip, wrong_codes or lock")
	}
	return err
}

// parseQuota reads "count/window", e.g. "10/24h".
func parseQuota(v string) (int64, time.Duration, error) {
	count, window, ok := strings.Cut(v, "/")
	n, err := strconv.ParseInt(count, 10, 64)
	if !ok || err != nil || n < 0 {
		return 0, 0, fmt.Errorf("%q is not count/window like 10/24h", v)
	}
	if window == "h" {
		window = "1h"
	}
	d, err := parseDuration(window)
	if err != nil || d == 0 {
		return 0, 0, fmt.Errorf("%q is not count/window like 10/24h", v)
	}
	return n, d, nil
}

// parseHourly reads "count/h" (or "count/1h"): these limits count codes in
// the last hour.
func parseHourly(v string) (int64, error) {
	n, window, err := parseQuota(v)
	if err != nil || window != time.Hour {
		return 0, fmt.Errorf("%q is not count/h like 5/h", v)
	}
	return n, nil
}

func parseDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration like 30s or 1h", v)
	}
	return d, nil
}
