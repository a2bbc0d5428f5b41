package main

import "github.com/rogpeppe/go-internal/testscript"

// scriptCommands are the custom commands testscript scripts can use.
func scriptCommands() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){}
}
