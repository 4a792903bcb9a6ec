//go:build !noasm

package ops

const haveAsm = true
