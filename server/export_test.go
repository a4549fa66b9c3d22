package server

// HTTPBinding and APIBindings let the external tests walk every REST route.
type HTTPBinding = httpBinding

var APIBindings = apiBindings
