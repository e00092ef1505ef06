package postfixtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// QueueEntry is one message in the queue, as "postqueue -j" describes it
// (postqueue(1), "JSON object format").
type QueueEntry struct {
	QueueName    string           `json:"queue_name"` // incoming, active, deferred, hold, maildrop
	QueueID      string           `json:"queue_id"`
	ArrivalTime  int64            `json:"arrival_time"` // seconds since the epoch
	MessageSize  int64            `json:"message_size"`
	ForcedExpire bool             `json:"forced_expire"`
	Sender       string           `json:"sender"` // "MAILER-DAEMON" for the null sender
	Recipients   []QueueRecipient `json:"recipients"`
}

// QueueRecipient is a recipient still to be delivered to.
type QueueRecipient struct {
	Address     string `json:"address"`
	DelayReason string `json:"delay_reason,omitempty"` // why the last attempt failed
}

// queuePoll is how often WaitQueueEmpty looks at the queue.
const queuePoll = 100 * time.Millisecond

// Queue lists the messages in the queue (postqueue -j), each once.
func (in *Instance) Queue(ctx context.Context) ([]QueueEntry, error) {
	out, err := in.postqueue(ctx, "-j")
	if err != nil {
		return nil, err
	}
	return parseQueue(out)
}

// parseQueue reads postqueue -j's output. showq walks the queue
// directories one after another, so a message moving from active to
// deferred meanwhile is listed in both: the later listing is kept.
func parseQueue(out []byte) ([]QueueEntry, error) {
	var entries []QueueEntry
	at := make(map[string]int)
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 16<<20) // one line per message, all its recipients in it
	for sc.Scan() {
		var e QueueEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("postfixtest: postqueue -j: %w", err)
		}
		if i, seen := at[e.QueueID]; seen {
			entries[i] = e
			continue
		}
		at[e.QueueID] = len(entries)
		entries = append(entries, e)
	}
	return entries, sc.Err()
}

// Flush asks Postfix to attempt delivery of all queued mail now
// (postqueue -f), also to destinations it had marked unreachable.
func (in *Instance) Flush(ctx context.Context) error {
	_, err := in.postqueue(ctx, "-f")
	return err
}

// WaitQueueEmpty waits until the queue is empty. When ctx ends first, its
// error says what is still queued, and why.
func (in *Instance) WaitQueueEmpty(ctx context.Context) error {
	for {
		entries, err := in.Queue(ctx)
		if err == nil && len(entries) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return fmt.Errorf("postfixtest: queue not empty: %w (last look: %w)", ctx.Err(), err)
			}
			return fmt.Errorf("postfixtest: queue not empty: %w: %s", ctx.Err(), describe(entries))
		case <-time.After(queuePoll):
		}
	}
}

func describe(entries []QueueEntry) string {
	var b strings.Builder
	for i, e := range entries {
		if i == 5 {
			fmt.Fprintf(&b, "; and %d more", len(entries)-i)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s %s from <%s>", e.QueueName, e.QueueID, e.Sender)
		for _, r := range e.Recipients {
			fmt.Fprintf(&b, " to <%s>", r.Address)
			if r.DelayReason != "" {
				fmt.Fprintf(&b, " (%s)", r.DelayReason)
			}
		}
	}
	return b.String()
}

func (in *Instance) postqueue(ctx context.Context, arg string) ([]byte, error) {
	if err := in.running(); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, in.bin.postqueue, "-c", in.files.conf, arg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("postfixtest: postqueue %s: %w: %s", arg, err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
