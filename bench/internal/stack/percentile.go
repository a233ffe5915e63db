package stack

import (
	"math"
	"time"
)

// Percentile is the nearest-rank q-th percentile (0 < q ≤ 1) of sorted
// durations, or 0 when there are none: every benchmark's p50 and p99.
func Percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(q * float64(len(sorted))))
	return sorted[max(rank, 1)-1]
}
