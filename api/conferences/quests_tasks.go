package conferences

// A quest's tasks: added, changed and removed only while the quest is a
// draft. A secret code is kept as its hash; an api_check task's HMAC
// secret is made here, shown once and kept sealed.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/questcheck"
	conferencesv1 "github.com/convene/convene/proto/convene/conferences/v1"
)

// apiCheckSecretBytes is the length of an api_check task's HMAC key.
const apiCheckSecretBytes = 32

// AddTask appends a task to a draft quest; an api_check task answers its
// secret this once.
func (s *questServer) AddTask(ctx context.Context, req *connect.Request[conferencesv1.AddTaskRequest]) (*connect.Response[conferencesv1.AddTaskResponse], error) {
	m := req.Msg
	t := &db.QuestTask{ID: db.NewID(), Kind: taskKinds.Name(m.GetKind()), Title: m.GetTitle(), Description: m.GetDescription(),
		Required: m.GetRequired()}
	config, err := taskConfig(t.Kind, m.GetConfig())
	if err != nil {
		return nil, err
	}
	t.Config = config
	if err := setTaskCode(t, m.GetCode(), true); err != nil {
		return nil, err
	}
	secret := s.sealAPICheckSecret(t)
	err = s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		q, err := s.draftQuestForWrite(ctx, tx, uuid.MustParse(m.GetQuestId()))
		if err != nil {
			return err
		}
		t.OrganizationID, t.QuestID = q.OrganizationID, q.ID
		if err := db.AppendQuestTask(ctx, tx, t); err != nil {
			return err
		}
		return s.auditTask(ctx, tx, t, "add_task")
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&conferencesv1.AddTaskResponse{Task: taskToProto(t), Secret: hex.EncodeToString(secret)}), nil
}

// UpdateTask replaces a draft quest's task; its kind and api_check secret
// stay.
func (s *questServer) UpdateTask(ctx context.Context, req *connect.Request[conferencesv1.UpdateTaskRequest]) (*connect.Response[conferencesv1.UpdateTaskResponse], error) {
	m := req.Msg
	var t *db.QuestTask
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if t, err = s.taskForWrite(ctx, tx, uuid.MustParse(m.GetTaskId())); err != nil {
			return err
		}
		if t.Config, err = taskConfig(t.Kind, m.GetConfig()); err != nil {
			return err
		}
		if err := setTaskCode(t, m.GetCode(), false); err != nil {
			return err
		}
		t.Title, t.Description, t.Required = m.GetTitle(), m.GetDescription(), m.GetRequired()
		var position *int
		if m.Position != nil {
			p := int(m.GetPosition())
			position = &p
		}
		if err := db.UpdateQuestTask(ctx, tx, t, position); err != nil {
			return err
		}
		return s.auditTask(ctx, tx, t, "update_task")
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&conferencesv1.UpdateTaskResponse{Task: taskToProto(t)}), nil
}

// RemoveTask removes a draft quest's task.
func (s *questServer) RemoveTask(ctx context.Context, req *connect.Request[conferencesv1.RemoveTaskRequest]) (*connect.Response[conferencesv1.RemoveTaskResponse], error) {
	var q *db.Quest
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		t, err := s.taskForWrite(ctx, tx, uuid.MustParse(req.Msg.GetTaskId()))
		if err != nil {
			return err
		}
		if q, err = db.QuestByID(ctx, tx, t.QuestID); err != nil {
			return err
		}
		if err := db.DeleteQuestTask(ctx, tx, t); err != nil {
			return err
		}
		return s.auditTask(ctx, tx, t, "remove_task")
	})
	if err != nil {
		return nil, err
	}
	return questAnswer(ctx, s, q, func(p *conferencesv1.Quest) *connect.Response[conferencesv1.RemoveTaskResponse] {
		return connect.NewResponse(&conferencesv1.RemoveTaskResponse{Quest: p})
	})
}

// draftQuestForWrite is questForWrite refusing a quest no longer a draft.
func (s *questServer) draftQuestForWrite(ctx context.Context, tx bun.Tx, id uuid.UUID) (*db.Quest, error) {
	q, err := s.questForWrite(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if q.Status != enums.QuestDraft {
		return nil, questChangeError(db.ErrQuestNotDraft)
	}
	return q, nil
}

// taskForWrite loads a task of a draft quest for its organization's
// owners and admins, holding the quest's lock.
func (s *questServer) taskForWrite(ctx context.Context, tx bun.Tx, id uuid.UUID) (*db.QuestTask, error) {
	t, err := db.QuestTaskByID(ctx, tx, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, connect.NewError(connect.CodeNotFound, errors.New("quest task not found"))
	}
	if err != nil {
		return nil, err
	}
	if _, err := s.draftQuestForWrite(ctx, tx, t.QuestID); err != nil {
		return nil, err
	}
	return t, nil
}

// taskConfig is the request's config as stored, checked for kind
// (InvalidArgument naming the config's field).
func taskConfig(kind string, config *structpb.Struct) (json.RawMessage, error) {
	raw := json.RawMessage(`{}`)
	if config != nil {
		b, err := config.MarshalJSON()
		if err != nil {
			return nil, rpc.InvalidField("config", "must be a JSON object")
		}
		raw = b
	}
	var cfgErr *questcheck.ConfigError
	if err := questcheck.ValidateConfig(kind, raw); errors.As(err, &cfgErr) {
		return nil, rpc.InvalidField(cfgErr.Path(), cfgErr.Reason)
	} else if err != nil {
		return nil, rpc.InvalidField("config", err.Error())
	}
	return raw, nil
}

// setTaskCode stores the hash of a secret_code task's code: required when
// the task is new, kept when an update gives none. Other kinds take none.
func setTaskCode(t *db.QuestTask, code string, isNew bool) error {
	switch {
	case t.Kind != enums.TaskKindSecretCode && code != "":
		return rpc.InvalidField("code", "only a secret_code task takes a code")
	case t.Kind != enums.TaskKindSecretCode, code == "" && !isNew:
		return nil
	case questcheck.HashCode(code) == questcheck.HashCode(""):
		return rpc.InvalidField("code", "a secret_code task needs a code that is not blank")
	}
	h := questcheck.HashCode(code)
	t.CodeHash = &h
	return nil
}

// sealAPICheckSecret gives an api_check task a new random HMAC key, kept
// sealed with the task ID as associated data, and returns it (nil for the
// other kinds).
func (s *questServer) sealAPICheckSecret(t *db.QuestTask) []byte {
	if t.Kind != enums.TaskKindAPICheck {
		return nil
	}
	secret := make([]byte, apiCheckSecretBytes)
	_, _ = rand.Read(secret) // crypto/rand.Read never fails (Go 1.24+).
	sealed, keyID := s.Secrets.Seal(secret, []byte(t.ID.String()))
	t.SecretCiphertext, t.SecretKeyID = sealed, &keyID
	return secret
}

func (s *questServer) auditTask(ctx context.Context, tx bun.Tx, t *db.QuestTask, action string) error {
	callerID := rpc.CallerID(ctx)
	return rpc.Audit(ctx, tx, &callerID, &t.OrganizationID, "quest", t.QuestID.String(), action,
		map[string]any{"task_id": t.ID.String(), "kind": t.Kind, "title": t.Title, "position": t.Position})
}
