// Command chatfanout measures live chat through the API: one group of
// -members members, each watching it with one WatchMessages stream, half
// on the stack's API and half on a second API process (its own chat hub
// and LISTEN connection, as a second replica would be). -senders members
// post -messages SendMessage calls in turn, alternating the two APIs; each
// delivery is timed from the start of its SendMessage call to the moment
// the watcher's stream hands it over. In the same run, on the same
// database, it measures the ceiling: the raw INSERT rate of the same
// group_messages rows at the same concurrency, one row per transaction.
//
// It starts the throwaway stack of the other benchmarks
// (bench/internal/stack) and writes the host, the event, the members and
// the group straight to the database.
//
// Usage:
//
//	go run ./bench/chatfanout -members 200 -messages 2000 -senders 8
//
// The last line of stdout is {"bench":"chatfanout","messages_per_s":…,"p99_ms":…,"ceiling_inserts_per_s":…,…}.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/convene/convene/bench/internal/stack"
)

// options are the benchmark's command-line flags.
type options struct {
	// members are the group's members; each watches it with one stream.
	members int
	// messages are the SendMessage calls of the run.
	messages int
	// senders are the SendMessage calls in flight at once (and the
	// ceiling's concurrent inserts).
	senders int
	// drain bounds the wait for the last deliveries after the last send.
	drain time.Duration
}

func parseOptions(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("chatfanout", flag.ContinueOnError)
	fs.IntVar(&o.members, "members", 200, "group members, each watching with one stream (half per API process)")
	fs.IntVar(&o.messages, "messages", 2000, "messages sent through SendMessage")
	fs.IntVar(&o.senders, "senders", 8, "SendMessage calls (and ceiling inserts) in flight at once")
	fs.DurationVar(&o.drain, "drain", time.Minute, "how long to wait for the last deliveries after the last send")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	return o, o.validate()
}

func (o options) validate() error {
	switch {
	case o.members < 2 || o.members > 1000:
		// 1000 is the schema's max_members.
		return fmt.Errorf("-members must be between 2 and 1000, got %d", o.members)
	case o.messages < 1 || o.messages > 100000:
		return fmt.Errorf("-messages must be between 1 and 100000, got %d", o.messages)
	case o.senders < 1 || o.senders > o.members:
		return fmt.Errorf("-senders must be between 1 and -members (%d), got %d", o.members, o.senders)
	case o.drain <= 0:
		return fmt.Errorf("-drain must be positive, got %s", o.drain)
	}
	return nil
}

func main() { stack.Main("chatfanout", parseOptions, run) }

// run starts the stack and the second API, measures, checks, prints the
// report and tears everything down whatever happens.
func run(ctx context.Context, o options) error {
	progress("starting Postgres, Temporal, the worker and the API in a temp dir")
	return stack.Run(ctx, stack.Options{}, func(ctx context.Context, s *stack.Stack) ([]string, error) {
		peerURL, err := s.StartPeerAPI()
		if err != nil {
			return nil, err
		}
		r, err := measure(ctx, s, []string{s.APIURL(), peerURL}, o)
		if err != nil {
			return nil, err
		}
		return r.failures, printReport(os.Stdout, o, r)
	})
}

// progress tells the person waiting what is happening, on stderr so stdout
// holds only the report.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "chatfanout: "+format+"\n", args...)
}
