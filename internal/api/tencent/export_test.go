package tencent

// Bridges for the external tests.
var (
	CodeOf  = codeOf
	Convert = convert
)
