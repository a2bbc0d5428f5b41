package warmup

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// MaxPlanSize is the most octets ReadSchedule reads.
const MaxPlanSize = 1 << 20

// ReadSchedule reads a plan as 'emailauth warmup plan' writes it: its JSON
// (-o json), or its CSV (-o csv: a header naming at least the day and
// volume columns, then a row per day). The days must be numbered from 1
// without gaps, each with a volume from 1 to MaxVolume.
func ReadSchedule(r io.Reader) (*Schedule, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxPlanSize+1))
	if err != nil {
		return nil, fmt.Errorf("warmup: reading the plan: %w", err)
	}
	if len(data) > MaxPlanSize {
		return nil, inputErr("plan", "give a plan written by 'emailauth warmup plan'", "larger than %d octets", MaxPlanSize)
	}
	trimmed := bytes.TrimSpace(data)
	var s Schedule
	if len(trimmed) > 0 && trimmed[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		if err := dec.Decode(&s); err != nil {
			return nil, inputErr("plan", "give the JSON of 'emailauth warmup plan -o json' or its CSV", "not a plan: %v", cleanJSONError(err))
		}
	} else if err := readCSV(trimmed, &s); err != nil {
		return nil, err
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	return &s, nil
}

func cleanJSONError(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("malformed JSON at offset %d", se.Offset)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func readCSV(data []byte, s *Schedule) error {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil || len(rows) == 0 {
		return inputErr("plan", "give the JSON of 'emailauth warmup plan -o json' or its CSV", "neither JSON nor CSV with a header")
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[strings.ToLower(strings.TrimSpace(name))] = i
	}
	dayCol, okDay := col["day"]
	volCol, okVol := col["volume"]
	if !okDay || !okVol {
		return inputErr("plan", "the CSV of 'emailauth warmup plan -o csv' starts with day,volume,...", "the CSV header has no day and volume columns")
	}
	if len(rows)-1 > MaxDays {
		return inputErr("plan", "", "%d days; the most is %d", len(rows)-1, MaxDays)
	}
	for i, row := range rows[1:] {
		if dayCol >= len(row) || volCol >= len(row) {
			return inputErr("plan", "", "CSV line %d has too few columns", i+2)
		}
		d, err1 := strconv.Atoi(strings.TrimSpace(row[dayCol]))
		v, err2 := strconv.ParseInt(strings.TrimSpace(row[volCol]), 10, 64)
		if err1 != nil || err2 != nil {
			return inputErr("plan", "", "CSV line %d: the day and volume must be whole numbers", i+2)
		}
		s.Days = append(s.Days, Day{Day: d, Volume: v})
	}
	return nil
}

// check validates a plan read from a file, and fills what the CSV form
// leaves out (the start, the target, the cumulative volumes).
func (s *Schedule) check() error {
	if len(s.Days) == 0 {
		return inputErr("plan", "give a plan written by 'emailauth warmup plan'", "the plan has no days")
	}
	if len(s.Days) > MaxDays {
		return inputErr("plan", "", "%d days; the most is %d", len(s.Days), MaxDays)
	}
	var cum int64
	for i := range s.Days {
		d := &s.Days[i]
		if d.Day != i+1 {
			return inputErr("plan", "days are numbered from 1, one row each", "day %d where day %d was expected", d.Day, i+1)
		}
		if d.Volume < 1 || d.Volume > MaxVolume {
			return inputErr("plan", "", "day %d: volume %d is not from 1 to %d", d.Day, d.Volume, int64(MaxVolume))
		}
		cum += d.Volume
		d.Cumulative = cum
	}
	s.Start = s.Days[0].Volume
	if last := s.Days[len(s.Days)-1].Volume; s.Target < last {
		s.Target = last
	}
	return nil
}
