package sockdiag

// ParseMsg exposes the inet_diag_msg decoder to the external tests.
var ParseMsg = parseMsg

// PortProgram exposes the bytecode compiler to the external tests.
var PortProgram = portProgram
