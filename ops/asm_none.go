//go:build !(amd64 || arm64) || noasm

package ops

const haveAsm = false
