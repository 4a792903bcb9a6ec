package video

import (
	"bufio"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Package is the Debian package that provides ffmpeg and ffprobe.
const Package = "ffmpeg"

// waitDelay bounds how long Wait waits for a killed child's pipes to close.
const waitDelay = 5 * time.Second

// tailLines is how many lines of a child's stderr are kept for error messages.
const tailLines = 12

// lookPath finds program in PATH, or returns an error naming the program and
// the package to install; it wraps exec.ErrNotFound.
func lookPath(program string) (string, error) {
	p, err := exec.LookPath(program)
	if err != nil {
		return "", fmt.Errorf("video: %s is not installed or not in PATH (it comes with Debian's %s package: apt-get install %s): %w",
			program, Package, Package, err)
	}
	return p, nil
}

// stderrLog reads a child's stderr line by line. ffmpeg runs with
// -loglevel level+LEVEL, which tags every line with its level ("[info] ",
// "[warning] ", ...). The log keeps the last tailLines lines tagged warning
// or worse, or not tagged at all, with the tag removed, and hands each line
// of the showinfo filter to onFrame. done is closed when stderr ends.
type stderrLog struct {
	mu    sync.Mutex
	lines []string // ring of the last tailLines lines
	next  int      // where the next line goes in lines
	full  bool
	done  chan struct{}
}

// newStderrLog starts reading r on a goroutine. onFrame, if not nil, is
// called on that goroutine with every line that showinfo logged, without its
// "[Parsed_showinfo_N @ 0x...] [info] " prefix.
func newStderrLog(r io.Reader, onFrame func(line string)) *stderrLog {
	l := &stderrLog{lines: make([]string, tailLines), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		br := bufio.NewReaderSize(r, 64<<10)
		for {
			line, err := br.ReadString('\n')
			line = strings.TrimRight(line, "\r\n")
			if line != "" {
				if rest, ok := showinfoLine(line); ok {
					if onFrame != nil {
						onFrame(rest)
					}
				} else if kept, ok := keepLine(line); ok {
					l.add(kept)
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return l
}

// quietLevels are the level tags of lines left out of the tail.
var quietLevels = []string{"[info] ", "[verbose] ", "[debug] ", "[trace] "}

// keepLine reports whether a stderr line belongs in the tail (tagged
// warning or worse, or untagged) and returns it without its level tag, its
// context prefixes "[name @ 0xADDR] " shortened to "[name] " (the last one
// only, when they nest).
func keepLine(line string) (string, bool) {
	ctx, rest := "", line
	for strings.HasPrefix(rest, "[") {
		i := strings.Index(rest, "] ")
		if i < 0 {
			break
		}
		name, _, ok := strings.Cut(rest[1:i], " @ ")
		if !ok {
			break
		}
		ctx, rest = "["+name+"] ", rest[i+2:]
	}
	for _, q := range quietLevels {
		if strings.HasPrefix(rest, q) {
			return "", false
		}
	}
	for _, tag := range []string{"[warning] ", "[error] ", "[fatal] ", "[panic] "} {
		if r, ok := strings.CutPrefix(rest, tag); ok {
			rest = r
			break
		}
	}
	if strings.TrimSpace(rest) == "" {
		return "", false
	}
	return ctx + rest, true
}

// showinfoLine reports whether line was logged by a showinfo filter and
// returns it without the filter's prefix and level tag.
func showinfoLine(line string) (string, bool) {
	if !strings.HasPrefix(line, "[Parsed_showinfo_") {
		return "", false
	}
	i := strings.Index(line, "] ")
	if i < 0 {
		return "", true
	}
	rest := line[i+2:]
	if r, ok := strings.CutPrefix(rest, "[info] "); ok {
		rest = r
	}
	return rest, true
}

func (l *stderrLog) add(line string) {
	const maxLine = 400
	if len(line) > maxLine {
		line = line[:maxLine] + "..."
	}
	l.mu.Lock()
	last := l.next - 1
	if last < 0 {
		last = len(l.lines) - 1
	}
	if (l.next > 0 || l.full) && l.lines[last] == line {
		l.mu.Unlock()
		return // a repeated message is kept once
	}
	l.lines[l.next] = line
	l.next++
	if l.next == len(l.lines) {
		l.next, l.full = 0, true
	}
	l.mu.Unlock()
}

// wait waits at most d for stderr to reach its end.
func (l *stderrLog) wait(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-l.done:
	case <-t.C:
	}
}

// tail returns the kept lines, oldest first, joined by " | ", or "" when
// there are none.
func (l *stderrLog) tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	if l.full {
		out = append(out, l.lines[l.next:]...)
	}
	out = append(out, l.lines[:l.next]...)
	return strings.Join(out, " | ")
}

// tailSuffix turns ffmpeg's stderr tail into the end of an error message:
// "" when there is none.
func tailSuffix(tail string) string {
	if tail == "" {
		return ""
	}
	return "; ffmpeg said: " + tail
}
