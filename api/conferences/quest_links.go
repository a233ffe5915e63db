package conferences

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/questcheck"
)

// questVisitPath is where tracked links of url_visit tasks point.
const questVisitPath = "/quests/visit/"

// TrackedLink is a member's own link to a url_visit task's page:
// following it records the visit, then redirects to the page. The token
// is "<task>.<user>.<hex HMAC-SHA256(key, task + "." + user)>", so nobody
// can make a link in another member's name.
func TrackedLink(publicURL string, key []byte, taskID, userID string) string {
	return strings.TrimRight(publicURL, "/") + questVisitPath + taskID + "." + userID + "." + linkMAC(key, taskID, userID)
}

// LinkKey derives the tracked links' key from the server's secret (the
// JWT secret), apart from every other use of it.
func LinkKey(serverSecret string) []byte {
	sum := sha256.Sum256([]byte("convene/quest-links\x00" + serverSecret))
	return sum[:]
}

func linkMAC(key []byte, taskID, userID string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(taskID + "." + userID))
	return hex.EncodeToString(mac.Sum(nil))
}

// errBadLink: a token that is not one TrackedLink made.
var errBadLink = errors.New("not a tracked link")

// parseLinkToken returns the task and member a token names, once its MAC
// matches (compared in constant time). Without a key no token is valid:
// an unwired key must not make links anyone can forge.
func parseLinkToken(key []byte, token string) (taskID, userID uuid.UUID, err error) {
	parts := strings.Split(token, ".")
	if len(key) == 0 || len(parts) != 3 {
		return uuid.Nil, uuid.Nil, errBadLink
	}
	if !hmac.Equal([]byte(parts[2]), []byte(linkMAC(key, parts[0], parts[1]))) {
		return uuid.Nil, uuid.Nil, errBadLink
	}
	if taskID, err = uuid.Parse(parts[0]); err != nil {
		return uuid.Nil, uuid.Nil, errBadLink
	}
	if userID, err = uuid.Parse(parts[1]); err != nil {
		return uuid.Nil, uuid.Nil, errBadLink
	}
	return taskID, userID, nil
}

// questLinkRoute serve the tracked links; they need no login, the token
// is the proof.
func questLinkRoute(d Deps) rpc.Route {
	return rpc.Route{Pattern: "GET " + questVisitPath + "{token}", Handler: &questLinkVisit{d}}
}

// questLinkVisit records a tracked link's visit and redirects to the
// task's page. A token that does not verify, a task that is not a
// published quest's url_visit task, or a member who left the
// organization is 404.
type questLinkVisit struct{ Deps }

func (h *questLinkVisit) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The token is the member's: no cache may keep the answer, and the
	// page it leads to must not see it in a Referer.
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	taskID, userID, err := parseLinkToken(h.LinkKey, r.PathValue("token"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	task, err := db.TrackedLinkTask(r.Context(), h.DB, taskID)
	if errors.Is(err, db.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		h.fail(w, "load tracked link task", err)
		return
	}
	// Only a member of the quest's organization earns the visit: a token
	// outliving the membership leads nowhere.
	if _, err := db.MemberRole(r.Context(), h.DB, task.OrganizationID, userID); err != nil {
		if errors.Is(err, db.ErrNotFound) {
			http.NotFound(w, r)
			return
		}
		h.fail(w, "check tracked link member", err)
		return
	}
	target, err := questcheck.TaskURL(task.Kind, task.Config)
	if err != nil {
		h.Log.Warn("tracked link task has no usable url", "task", task.ID, "err", err)
		http.NotFound(w, r)
		return
	}
	// A HEAD (a link preview, a crawler) is not the member visiting.
	if r.Method == http.MethodGet {
		err := db.RecordLinkVisit(r.Context(), h.DB, task.OrganizationID, task.ID, userID)
		if errors.Is(err, db.ErrNotFound) {
			http.NotFound(w, r)
			return
		}
		if err != nil {
			h.fail(w, "record tracked link visit", err)
			return
		}
	}
	http.Redirect(w, r, target, http.StatusFound)
}

func (h *questLinkVisit) fail(w http.ResponseWriter, what string, err error) {
	h.Log.Error(what, "err", err)
	http.Error(w, "something went wrong; try the link again", http.StatusInternalServerError)
}
