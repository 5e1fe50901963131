package oppo

// Classify and UntilBeijingMidnight expose the pure classification to the external tests.
var (
	Classify             = classify
	UntilBeijingMidnight = untilBeijingMidnight
)
