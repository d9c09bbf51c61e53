// Package fsm is MySQL-MMM 2.2.1's monitor as a pure state machine.
package fsm
