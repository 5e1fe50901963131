package push

import "hash/fnv"

// MaxNotifyID is the largest numeric notify ID NotifyIDFor returns: the largest positive
// Java int, which the Android vendors' notify IDs are.
const MaxNotifyID = 2147483647

// NotifyIDFor derives a notify ID in 1–MaxNotifyID from a collapse ID (the FNV-1a hash
// of collapseID), so that notifications with the same collapse ID replace each other on
// vendors that collapse by number only. The result is stable across runs and versions.
func NotifyIDFor(collapseID string) int {
	h := fnv.New32a()
	h.Write([]byte(collapseID))
	id := int(h.Sum32() & MaxNotifyID)
	if id == 0 {
		id = 1
	}
	return id
}
