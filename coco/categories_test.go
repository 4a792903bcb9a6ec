package coco

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestCategoriesAgainstCOCO2017 checks the name <-> id helpers against the
// real COCO 2017 category list (testdata/coco2017_categories.tsv): each
// name maps to its id and back, labels 0..79 follow the id order, and
// every other id and name is refused.
func TestCategoriesAgainstCOCO2017(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "coco2017_categories.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	real := map[int]string{}
	label := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		idStr, name, ok := strings.Cut(line, "\t")
		id, err := strconv.Atoi(idStr)
		if !ok || err != nil {
			t.Fatalf("bad line %q", line)
		}
		real[id] = name
		if got, ok := CategoryID(name); !ok || got != id {
			t.Errorf("CategoryID(%q) = %d, %v; want %d", name, got, ok, id)
		}
		if got, ok := CategoryName(id); !ok || got != name {
			t.Errorf("CategoryName(%d) = %q, %v; want %q", id, got, ok, name)
		}
		if ClassNames[label] != name {
			t.Errorf("ClassNames[%d] = %q, want %q", label, ClassNames[label], name)
		}
		if got, ok := ClassCategoryID(label); !ok || got != id {
			t.Errorf("ClassCategoryID(%d) = %d, %v; want %d", label, got, ok, id)
		}
		if got, ok := CategoryClass(id); !ok || got != label {
			t.Errorf("CategoryClass(%d) = %d, %v; want %d", id, got, ok, label)
		}
		label++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if label != NumClasses || len(real) != NumClasses {
		t.Fatalf("%d categories in the list, want %d", label, NumClasses)
	}
	for id := -2; id <= 200; id++ {
		if _, isReal := real[id]; isReal {
			continue
		}
		if name, ok := CategoryName(id); ok {
			t.Errorf("CategoryName(%d) = %q, want none", id, name)
		}
		if l, ok := CategoryClass(id); ok {
			t.Errorf("CategoryClass(%d) = %d, want none", id, l)
		}
	}
	for _, l := range []int{-1, NumClasses, 1000} {
		if id, ok := ClassCategoryID(l); ok {
			t.Errorf("ClassCategoryID(%d) = %d, want none", l, id)
		}
	}
	for _, name := range []string{"", "Person", "traffic_light", "N/A", "background", "toothbrush "} {
		if id, ok := CategoryID(name); ok {
			t.Errorf("CategoryID(%q) = %d, want none", name, id)
		}
	}
}

// TestCategoriesAgainstGoldens checks the helpers against the categories
// of the box goldens' ground truth (real COCO ids and names).
func TestCategoriesAgainstGoldens(t *testing.T) {
	seen := 0
	for _, name := range boxGoldenCases(t) {
		gt, err := ReadInstances(filepath.Join(boxGoldenDir, name+".gt.json"))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range gt.Categories {
			seen++
			if id, ok := CategoryID(c.Name); !ok || id != c.ID {
				t.Errorf("%s: CategoryID(%q) = %d, %v; the file has %d", name, c.Name, id, ok, c.ID)
			}
		}
	}
	if seen == 0 {
		t.Fatal("no categories in the goldens")
	}
}
