#!/usr/bin/env bash
# bench-attendance.sh: attendance registers at county scale (issue 18), side by side on PostgreSQL
# and SQLite in one run. bench.sh runs it at its end (its table goes under "Attendance" in
# bench.md); it runs alone too. It measures:
#   - pme load attendance of one month of long-shape marks for 120,000 pupils (about 4.6 million
#     rows) into a fresh database of each backend, beside psql \copy of the same file into a plain
#     table (target: at most 2x \copy on PostgreSQL; peak RSS under 200 MB on both);
#   - pme flag over a full academic year of marks (the month's pupils given a mark every weekday
#     from 3 September to the run date, by SQL), target under 60 s on both.
# Knobs: BENCH_DIR (default /tmp/pme-bench), BENCH_ATT_PUPILS (120000), BENCH_TODAY (the month is
# the 19 school days before it; default 2026-11-27), BENCH_ATT_YEAR_END (the flag run's date, the
# end of the year of marks; default 2027-07-16), PME_BENCH_DATABASE_URL.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH_DIR=${BENCH_DIR:-/tmp/pme-bench}
PUPILS=${BENCH_ATT_PUPILS:-120000}
TODAY=${BENCH_TODAY:-2026-11-27}
YEAR_END=${BENCH_ATT_YEAR_END:-2027-07-16}
ADMIN_URL=${PME_BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
PG_BASE=${ADMIN_URL%/*}
PG_QUERY="?${ADMIN_URL#*\?}"
PME=$ROOT/bin/pme
DATA=$BENCH_DIR/data
WORK=$BENCH_DIR/work/attendance
LOGS=$BENCH_DIR/logs
mkdir -p "$DATA" "$WORK" "$LOGS"
unset PME_DATABASE_URL PME_DATA_DIR PME_CONFIG PME_TODAY
[[ -x $PME ]] || go build -o "$PME" ./cmd/pme
say() { printf '%s\n' "$*" >&2; }

# measure NAME CMD...: sets SECS and RSS (MB) from /usr/bin/time -v.
measure() {
	local name=$1
	shift
	psql "$ADMIN_URL" -qc CHECKPOINT >/dev/null 2>&1 || true
	sync
	STATUS=0
	/usr/bin/time -v -o "$LOGS/$name.time" "$@" >"$LOGS/$name.out" 2>"$LOGS/$name.err" || STATUS=$?
	SECS=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s }' "$LOGS/$name.time")
	RSS=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$LOGS/$name.time")
	if ((STATUS != 0)); then say "bench-attendance: $name failed (exit $STATUS): see $LOGS/$name.err"; fi
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "—" }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }
ROWS=()

FILE=$DATA/attendance-month-$PUPILS.csv
say "bench-attendance: a month of marks for $PUPILS pupils"
"$PME" fixtures --out "$DATA" --today "$TODAY" --attendance-month "$PUPILS" 2>"$LOGS/att-fixtures.err"
LINES=$(($(wc -l <"$FILE") - 1))

# The floor: psql \copy of the same file into a plain table of its columns.
url="$PG_BASE/att_bench_copy$PG_QUERY"
psql "$ADMIN_URL" -q -c "DROP DATABASE IF EXISTS att_bench_copy WITH (FORCE)" -c "CREATE DATABASE att_bench_copy" >/dev/null
psql "$url" -q -c "CREATE TABLE mark_copy (upn text, laestab text, date date, session text, code text)" >/dev/null
say "bench-attendance: psql \\copy"
measure att-copy psql "$url" -v ON_ERROR_STOP=1 -c "SET datestyle = 'ISO, DMY'" -c "\\copy mark_copy FROM '$FILE' WITH (FORMAT csv, HEADER true)"
COPY_SECS=$SECS
ROWS+=("reference: psql \\copy of the month|psql|$LINES|$SECS|$RSS|—|—|")
psql "$ADMIN_URL" -q -c "DROP DATABASE IF EXISTS att_bench_copy WITH (FORCE)" >/dev/null

for backend in postgres sqlite; do
	if [[ $backend == postgres ]]; then
		psql "$ADMIN_URL" -q -c "DROP DATABASE IF EXISTS att_bench_load WITH (FORCE)" -c "CREATE DATABASE att_bench_load" >/dev/null
		db="$PG_BASE/att_bench_load$PG_QUERY"
	else
		rm -f "$WORK/att.db" "$WORK/att.db-wal" "$WORK/att.db-shm"
		db="sqlite:$WORK/att.db"
	fi
	dd=$WORK/$backend
	rm -rf "$dd"
	"$PME" migrate --db "$db" --data-dir "$dd" >/dev/null 2>&1
	say "bench-attendance: pme load attendance into $backend"
	measure "att-load-$backend" "$PME" load attendance --db "$db" --data-dir "$dd" --today "$TODAY" "$FILE"
	stored=$(sed -n 's/^Rows: \([0-9]*\) read, \([0-9]*\) stored.*/\2/p' "$LOGS/att-load-$backend.err" | tail -1)
	target="<200 MB" met=yes r="—"
	if [[ $backend == postgres ]]; then
		r=$(ratio "$SECS" "$COPY_SECS")
		target="≤2.00× \\copy, <200 MB"
		if ! le "$r" 2; then met="NO (time)"; fi
	fi
	if ((RSS >= 200)); then met="NO (memory)"; fi
	if ((STATUS != 0)); then met="FAILED"; fi
	ROWS+=("load a month of marks (long CSV)|$backend|${stored:-0}|$SECS|$RSS|$r|$target|$met")

	# A full year: every weekday from 3 September to the year's end for each pupil and school the
	# month holds (present, with an illness, unauthorised absence and C2 pattern by pupil id).
	say "bench-attendance: extending to a full year of marks on $backend (not timed)"
	codes="CASE WHEN pupil_id % 100 = 0 THEN 'C2' WHEN (pupil_id + n) % 37 = 0 THEN 'I' WHEN (pupil_id * 7 + n) % 101 = 0 THEN 'O' ELSE"
	if [[ $backend == postgres ]]; then
		psql "$db" -q -v ON_ERROR_STOP=1 -c "INSERT INTO att_mark (pupil_id, laestab, day, am, pm)
			SELECT p.pupil_id, p.laestab, g.d::date, $codes '/' END, $codes '\\' END
			FROM (SELECT DISTINCT pupil_id, laestab FROM att_mark) p,
			     (SELECT d, row_number() OVER () AS n FROM generate_series(DATE '2026-09-03', DATE '$YEAR_END', '1 day') d
			      WHERE extract(isodow FROM d) < 6) g
			ON CONFLICT DO NOTHING" -c "ANALYZE att_mark" >"$LOGS/att-year-$backend.out" 2>&1
		days=$(psql "$db" -qtAc "SELECT count(*) FROM att_mark")
	else
		sqlite3 "$WORK/att.db" "WITH RECURSIVE g(d, n) AS (SELECT '2026-09-03', 1 UNION ALL SELECT date(d, '+1 day'), n + 1 FROM g WHERE d < '$YEAR_END')
			INSERT INTO att_mark (pupil_id, laestab, day, am, pm)
			SELECT p.pupil_id, p.laestab, g.d, $codes '/' END, $codes '\\' END
			FROM (SELECT DISTINCT pupil_id, laestab FROM att_mark) p, g WHERE strftime('%w', g.d) NOT IN ('0', '6')
			ON CONFLICT DO NOTHING" >"$LOGS/att-year-$backend.out" 2>&1
		days=$(sqlite3 "$WORK/att.db" "SELECT count(*) FROM att_mark")
	fi
	say "bench-attendance: pme flag over $days day rows on $backend"
	measure "att-flag-$backend" "$PME" flag --db "$db" --data-dir "$dd" --today "$YEAR_END"
	met=yes
	if ! le "$SECS" 60; then met="NO (time)"; fi
	if ((RSS >= 200)); then met="NO (memory)"; fi
	if ((STATUS != 0)); then met="FAILED"; fi
	ROWS+=("flag over a year of marks (rules)|$backend|$((days * 2)) marks|$SECS|$RSS|—|<60 s|$met")
done
psql "$ADMIN_URL" -q -c "DROP DATABASE IF EXISTS att_bench_load WITH (FORCE)" >/dev/null

{
	printf '\n## Attendance registers\n\n%s pupils; the month is the 19 school days before %s; the year ends %s. Load average at the end: %s.\n\n' \
		"$PUPILS" "$TODAY" "$YEAR_END" "$(cut -d' ' -f1-3 /proc/loadavg)"
	printf '| step | backend | rows | seconds | peak RSS MB | ratio | target | met? |\n|---|---|---|---|---|---|---|---|\n'
	for r in "${ROWS[@]}"; do printf '| %s |\n' "${r//|/ | }"; done
} | tee -a "$BENCH_DIR/bench.md"
