#!/usr/bin/env bash
# bench.sh: pme at national scale, measured beside the floor for the same work, in one run on one
# machine (issue 7). It generates the inputs with `pme fixtures`, times `pme ingest` of each into a
# fresh PostgreSQL database and a fresh SQLite file, times the references (psql \copy, sqlite3
# .import, pandas) on the same files, times `pme flag` over everything and `pme letters` for the
# due letters, and prints one table (also written as markdown to $BENCH_DIR/bench.md).
#
# It installs nothing: a reference whose tool is missing is skipped and the table says so.
#
# Knobs (environment):
#   BENCH_DIR                  work folder, default /tmp/pme-bench (emptied at start)
#   BENCH_QUICK=1              every size divided by 10, to try the script
#   BENCH_SUSPENSIONS          rows in the big suspensions CSV, default 1000000
#   BENCH_SUSPENSIONS_SMALL    rows in the CSV the memory comparison uses, default a tenth of that
#   BENCH_TIMETABLES           rows in the reduced-timetable xlsx, default 100000
#   BENCH_SMALL_FILES          small school files, default 5000
#   BENCH_LETTERS              letters due, default 1000
#   BENCH_TODAY                run date, default today
#   BENCH_SEED                 fixtures seed, default 1
#   BENCH_REPEAT               runs of the two suspensions CSVs' ingests and of the references,
#                              default 3: the table gives the median time and the highest peak
#                              memory
#   PME_BENCH_DATABASE_URL     a PostgreSQL URL allowed to create and drop databases, default
#                              postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
#
# Timing is wall-clock from /usr/bin/time -v, peak memory its "Maximum resident set size" of the
# measured process (pme, psql, sqlite3 or python3; the PostgreSQL server's own memory is not in it).
# pandas times are taken inside Python around the read alone, so its import is not counted against it.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD

BENCH_DIR=${BENCH_DIR:-/tmp/pme-bench}
scale=1
if [[ ${BENCH_QUICK:-0} == 1 ]]; then scale=10; fi
SUSP_ROWS=${BENCH_SUSPENSIONS:-$((1000000 / scale))}
SUSP_SMALL_ROWS=${BENCH_SUSPENSIONS_SMALL:-$((SUSP_ROWS / 10))}
XLSX_ROWS=${BENCH_TIMETABLES:-$((100000 / scale))}
SMALL_FILES=${BENCH_SMALL_FILES:-$((5000 / scale))}
LETTERS=${BENCH_LETTERS:-$((1000 / scale))}
TODAY=${BENCH_TODAY:-$(date +%F)}
SEED=${BENCH_SEED:-1}
REPEAT=${BENCH_REPEAT:-3}
ADMIN_URL=${PME_BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
PYTHON=/usr/bin/python3
RSS_LIMIT_MB=200

PME=$ROOT/bin/pme
DATA=$BENCH_DIR/data  # generated inputs
WORK=$BENCH_DIR/work  # data folders, SQLite files, logs
LOGS=$BENCH_DIR/logs

# pme reads these; the benchmark passes everything as flags so that a developer's settings do not leak in.
unset PME_DATABASE_URL PME_DATA_DIR PME_CONFIG PME_TODAY

say() { printf '%s\n' "$*" >&2; }
die() { say "bench: $*"; exit 1; }

# ---- preconditions ----

[[ -x /usr/bin/time ]] || die "/usr/bin/time is needed for wall time and peak memory (Debian: apt-get install time)"
command -v psql >/dev/null || die "psql is needed to create the benchmark databases (Debian: apt-get install postgresql-client)"
if [[ ! $ADMIN_URL =~ ^(postgres(ql)?://[^/?]+)(/[^?]*)?(\?.*)?$ ]]; then
	die "PME_BENCH_DATABASE_URL must look like postgres://user@host:5432/postgres?sslmode=disable"
fi
PG_BASE=${BASH_REMATCH[1]}
PG_QUERY=${BASH_REMATCH[4]}
psql "$ADMIN_URL" -qtAc 'SELECT 1' >/dev/null 2>&1 ||
	die "cannot reach PostgreSQL at $PG_BASE: start it, or set PME_BENCH_DATABASE_URL to a server where this user may create databases"

SKIPPED=()
HAVE_SQLITE3=0
if command -v sqlite3 >/dev/null; then HAVE_SQLITE3=1; else SKIPPED+=("sqlite3 .import: sqlite3 is not installed (Debian: apt-get install sqlite3)"); fi
HAVE_PANDAS=0
if [[ -x $PYTHON ]] && $PYTHON -c 'import pandas, openpyxl' 2>/dev/null; then
	HAVE_PANDAS=1
else
	SKIPPED+=("pandas read_csv/read_excel: $PYTHON cannot import pandas and openpyxl (Debian: apt-get install python3-pandas python3-openpyxl)")
fi

rm -rf "$BENCH_DIR"
mkdir -p "$DATA" "$WORK" "$LOGS"

say "bench: building bin/pme"
go build -o "$PME" ./cmd/pme

# ---- measuring ----

# measure NAME CMD...: runs CMD with stdout and stderr to $LOGS/NAME.{out,err} and sets M_SECS,
# M_RSS (MB) and M_STATUS. It never stops the script: a failed step is a result.
measure() {
	local name=$1
	shift
	local tv=$LOGS/$name.time
	M_STATUS=0
	# Every step starts from the same state: no checkpoint due in PostgreSQL from the steps before
	# (one falling inside a step slows it), and the page cache written out.
	psql "$ADMIN_URL" -qc CHECKPOINT >/dev/null 2>&1 || true
	sync
	/usr/bin/time -v -o "$tv" "$@" >"$LOGS/$name.out" 2>"$LOGS/$name.err" || M_STATUS=$?
	M_SECS=$(awk -F': ' '/Elapsed \(wall clock\)/ {
		n = split($2, p, ":"); s = 0
		for (i = 1; i <= n; i++) s = s * 60 + p[i]
		printf "%.2f", s }' "$tv")
	M_RSS=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$tv")
	if [[ -z $M_SECS ]]; then M_SECS=0; fi
	if [[ -z $M_RSS ]]; then M_RSS=0; fi
	if ((M_STATUS != 0)); then say "bench: $name failed (exit $M_STATUS): see $LOGS/$name.err"; fi
}

# evaluated LOG: the pupils a flag run evaluated, from its log line "cases flagged".
evaluated() { sed -n 's/.*"pupils_evaluated":\([0-9]*\).*/\1/p' "$1" | tail -1; }

# pupil_count BACKEND URL: the pupils stored.
pupil_count() {
	if [[ $1 == postgres ]]; then psql "$2" -qtAc 'SELECT count(*) FROM pupil'; elif ((HAVE_SQLITE3)); then sqlite3 "${2#sqlite:}" 'SELECT count(*) FROM pupil'; fi
}

# stored_rows LOG: the rows stored, from pme ingest's summary line "Rows: N read, N stored, N rejected."
stored_rows() { sed -n 's/^Rows: \([0-9]*\) read, \([0-9]*\) stored, \([0-9]*\) rejected.*/\2/p' "$1" | tail -1; }
rejected_rows() { sed -n 's/^Rows: \([0-9]*\) read, \([0-9]*\) stored, \([0-9]*\) rejected.*/\3/p' "$1" | tail -1; }

pg_url() { printf '%s/%s%s' "$PG_BASE" "$1" "$PG_QUERY"; }

# pg_fresh NAME: drops and creates database NAME; prints its URL.
pg_fresh() {
	psql "$ADMIN_URL" -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" \
		-c "CREATE DATABASE \"$1\"" >/dev/null
	pg_url "$1"
}

# fresh_db BACKEND NAME: a fresh, migrated database; prints its URL.
fresh_db() {
	local url
	if [[ $1 == postgres ]]; then
		url=$(pg_fresh "pme_bench_$2")
	else
		rm -f "$WORK/$2.db" "$WORK/$2.db-wal" "$WORK/$2.db-shm"
		url="sqlite:$WORK/$2.db"
	fi
	# Migrations run before the clock starts: the steps time the work, not the schema.
	"$PME" migrate --db "$url" --data-dir "$WORK/$2" >"$LOGS/$2.migrate" 2>&1 || die "pme migrate on $1 failed: see $LOGS/$2.migrate"
	printf '%s' "$url"
}

# ---- the table ----

declare -A SECS RSS ROWS STATUS URL DIR
TABLE=()  # rows of: step|backend|rows|seconds|rows/s|rss|reference|ratio|target|met
NOTES=()

fmt_rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "—" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "—" }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "—" && a + 0 <= b + 0) }'; }

# row ID STEP BACKEND REF_ID RATIO_MAX: adds step ID to the table. Its ratio is its seconds over
# REF_ID's (or "" for none); the target is ratio ≤ RATIO_MAX and peak RSS under RSS_LIMIT_MB.
row() {
	local id=$1 step=$2 backend=$3 ref=${4:-} max=${5:-} rss_limit=${6:-$RSS_LIMIT_MB}
	local secs=${SECS[$id]} rows=${ROWS[$id]:-0} r="—" target="" met="" refname="—"
	if [[ ${STATUS[$id]} != 0 ]]; then
		TABLE+=("$step|$backend|—|FAILED (exit ${STATUS[$id]})|—|${RSS[$id]}|—|—|—|NO")
		return
	fi
	if [[ -n $ref && -n ${SECS[$ref]:-} && ${STATUS[$ref]:-1} == 0 ]]; then
		r=$(ratio "$secs" "${SECS[$ref]}")
		refname=$ref
	elif [[ -n $ref ]]; then
		refname="$ref (skipped)"
	fi
	if [[ $backend == postgres || $backend == sqlite ]]; then
		target="<${rss_limit} MB"
		met=yes
		if [[ -n $max ]]; then
			target="≤${max}× ref, $target"
			if [[ $r == "—" ]]; then met="n/a"; elif ! le "$r" "$max"; then met="NO (time)"; fi
		fi
		if ((${RSS[$id]:-0} >= rss_limit)); then met="NO (memory)"; fi
	fi
	TABLE+=("$step|$backend|$rows|$secs|$(fmt_rate "$rows" "$secs")|${RSS[$id]}|$refname|$r|$target|$met")
}

record() { # record ID ROWS: stores the last measurement under ID
	SECS[$1]=$M_SECS
	RSS[$1]=$M_RSS
	STATUS[$1]=$M_STATUS
	ROWS[$1]=$2
}

# repeated ID CMD...: runs CMD (which measures and records ID) $REPEAT times, and keeps for ID the
# median seconds and the highest peak memory: on a small machine one run of a few seconds varies
# by a fifth or more, the reference's runs as much as pme's.
repeated() {
	local id=$1 i all=() peaks=() rss=0 status=0
	shift
	for ((i = 0; i < REPEAT; i++)); do
		"$@"
		all+=("${SECS[$id]}")
		peaks+=("${RSS[$id]}")
		if ((${RSS[$id]:-0} > rss)); then rss=${RSS[$id]}; fi
		if [[ ${STATUS[$id]} != 0 ]]; then status=${STATUS[$id]}; fi
	done
	SECS[$id]=$(printf '%s\n' "${all[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	RSS[$id]=$rss
	STATUS[$id]=$status
	if ((REPEAT > 1)); then NOTES+=("$id: median of $REPEAT runs: ${all[*]} s; peak RSS ${peaks[*]} MB."); fi
}

# ---- 1. inputs ----

say "bench: generating inputs in $DATA (run date $TODAY, seed $SEED)"
start=$(date +%s)
"$PME" fixtures --out "$DATA" --today "$TODAY" --seed "$SEED" --suspensions-csv "$SUSP_ROWS" \
	--timetables-xlsx "$XLSX_ROWS" --small-files "$SMALL_FILES" --letters "$LETTERS" 2>"$LOGS/fixtures.err" ||
	die "pme fixtures failed: see $LOGS/fixtures.err"
"$PME" fixtures --out "$DATA" --today "$TODAY" --seed "$SEED" --suspensions-csv "$SUSP_SMALL_ROWS" 2>>"$LOGS/fixtures.err" ||
	die "pme fixtures failed: see $LOGS/fixtures.err"
NOTES+=("Inputs generated by \`pme fixtures\` in $(($(date +%s) - start)) s: $(du -sh "$DATA" | cut -f1) in all.")
BIG_CSV=$DATA/suspensions-$SUSP_ROWS.csv
MID_CSV=$DATA/suspensions-$SUSP_SMALL_ROWS.csv
XLSX=$DATA/timetables-$XLSX_ROWS.xlsx
SMALL=$DATA/small
small_count=$(find "$SMALL" -type f | wc -l)

# ---- 2. pme ingest, each into a fresh database ----

# ingest ID BACKEND FILES...: times pme ingest of FILES into a fresh database; with no FILES, of
# the small files dropped in the inbox (the scheduled job's way).
ingest() {
	local id=$1 backend=$2
	shift 2
	local name=$id-$backend
	local url
	url=$(fresh_db "$backend" "${name//-/_}")
	local dd=$WORK/${name//-/_}
	rm -rf "$dd" # a repeated run starts from an empty data folder too, as from a fresh database
	mkdir -p "$dd/inbox"
	if (($# == 0)); then cp "$SMALL"/* "$dd/inbox/"; fi
	say "bench: pme ingest $id into $backend"
	measure "ingest-$name" "$PME" ingest --db "$url" --data-dir "$dd" --today "$TODAY" "$@"
	record "$name" "$(stored_rows "$LOGS/ingest-$name.err")"
	URL[$name]=$url
	DIR[$name]=$dd
	local rej
	rej=$(rejected_rows "$LOGS/ingest-$name.err")
	if [[ -n $rej && $rej != 0 ]]; then NOTES+=("ingest $id into $backend rejected $rej rows: see $LOGS/ingest-$name.err"); fi
}

for backend in postgres sqlite; do
	repeated "susp-$backend" ingest susp "$backend" "$BIG_CSV"
	# The memory comparison takes the highest peak of as many runs at each size: one run's peak
	# varies with the collector's timing (250,000 rows: 66-80 MB on PostgreSQL over a day's runs).
	repeated "susp-mid-$backend" ingest susp-mid "$backend" "$MID_CSV"
	ingest xlsx "$backend" "$XLSX"
	ingest small "$backend"
done

# ---- 3. the references ----

SUSP_TABLE="laestab text, upn text, surname text, forename text, dob date, gender text, nc_year text,
	sen text, category text, start_date date, sessions integer, reason text, sixth_day_provision text"

psql_copy() {
	say "bench: psql \\copy of the same CSV"
	local url
	url=$(pg_fresh pme_bench_copy)
	psql "$url" -q -v ON_ERROR_STOP=1 -c "CREATE TABLE suspension_copy ($SUSP_TABLE)" >/dev/null
	measure copy-psql psql "$url" -v ON_ERROR_STOP=1 -c "SET datestyle = 'ISO, DMY'" \
		-c "\\copy suspension_copy FROM '$BIG_CSV' WITH (FORMAT csv, HEADER true)"
	record psql-copy "$(sed -n 's/^COPY \([0-9]*\)$/\1/p' "$LOGS/copy-psql.out")"
	psql "$ADMIN_URL" -q -c 'DROP DATABASE IF EXISTS pme_bench_copy' >/dev/null
}
repeated psql-copy psql_copy

sqlite3_import() {
	say "bench: sqlite3 .import of the same CSV"
	local db=$WORK/copy.db
	rm -f "$db"
	sqlite3 "$db" "CREATE TABLE suspension_copy (laestab TEXT, upn TEXT, surname TEXT, forename TEXT, dob TEXT,
		gender TEXT, nc_year TEXT, sen TEXT, category TEXT, start_date TEXT, sessions INTEGER, reason TEXT,
		sixth_day_provision TEXT) STRICT"
	measure copy-sqlite3 sqlite3 "$db" -cmd ".mode csv" ".import --skip 1 '$BIG_CSV' suspension_copy"
	record sqlite3-import "$(sqlite3 "$db" 'SELECT count(*) FROM suspension_copy')"
	rm -f "$db"
}
if ((HAVE_SQLITE3)); then repeated sqlite3-import sqlite3_import; fi

if ((HAVE_PANDAS)); then
	cat >"$WORK/pandas_ref.py" <<'EOF'
# The pandas reference: read the same files into typed frames, timing the reads alone.
import os, sys, time
import pandas as pd

mode, path = sys.argv[1], sys.argv[2]
text = {"LAESTAB": str, "UPN": str, "NC Year": str}
start = time.perf_counter()
if mode == "csv":
    df = pd.read_csv(path, dtype=text)
    for col in ("Date of Birth", "Start Date"):
        df[col] = pd.to_datetime(df[col], format="%d/%m/%Y")
    rows = len(df)
elif mode == "xlsx":
    rows = len(pd.read_excel(path, engine="openpyxl", dtype=text))
else:  # a folder of small school files, laid out as pme fixtures writes them
    rows = 0
    for name in sorted(os.listdir(path)):
        p = os.path.join(path, name)
        if name.endswith(".xlsx"):
            # The council template: Instructions first, the return's sheet second, two title rows.
            df = pd.read_excel(p, sheet_name=1, skiprows=2, engine="openpyxl")
        else:
            with open(p, "rb") as f:
                bom = f.read(3) == b"\xef\xbb\xbf"
            if bom:  # the template's CSV: UTF-8 with BOM, two title lines
                df = pd.read_csv(p, encoding="utf-8-sig", skiprows=2)
            else:  # a European-locale export: Windows-1252, semicolons
                df = pd.read_csv(p, encoding="cp1252", sep=";")
        rows += len(df)
print(f"{time.perf_counter() - start:.2f} {rows}")
EOF
	pandas() { # pandas ID MODE PATH
		say "bench: pandas $2 of $3"
		measure "pandas-$1" "$PYTHON" "$WORK/pandas_ref.py" "$2" "$3"
		record "pandas-$1" "$(awk '{print $2}' "$LOGS/pandas-$1.out")"
		if ((M_STATUS == 0)); then SECS[pandas-$1]=$(awk '{print $1}' "$LOGS/pandas-$1.out"); fi
	}
	pandas csv csv "$BIG_CSV"
	pandas xlsx xlsx "$XLSX"
	pandas small small "$SMALL"
fi

# ---- 4. pme flag over everything, pme letters for the due letters ----

for backend in postgres sqlite; do
	name=susp-$backend
	if [[ ${STATUS[$name]} != 0 ]]; then continue; fi
	# The database that holds the big CSV gets the xlsx and the small files too.
	dd=${DIR[$name]}
	cp "$SMALL"/* "$dd/inbox/"
	say "bench: loading the xlsx and the small files beside the suspensions ($backend)"
	# Timed too: a database that already holds a million rows is the one a council runs on.
	measure "load-all-$backend" "$PME" ingest --db "${URL[$name]}" --data-dir "$dd" --today "$TODAY" "$XLSX"
	stored=$(stored_rows "$LOGS/load-all-$backend.err")
	record "loaded-xlsx-$backend" "${stored:-0}"
	measure "load-all-small-$backend" "$PME" ingest --db "${URL[$name]}" --data-dir "$dd" --today "$TODAY"
	stored_small=$(stored_rows "$LOGS/load-all-small-$backend.err")
	record "loaded-small-$backend" "${stored_small:-0}"
	total=$((${ROWS[$name]:-0} + ${stored:-0} + ${stored_small:-0}))
	say "bench: pme flag over $total rows ($backend)"
	measure "flag-$backend" "$PME" flag --db "${URL[$name]}" --data-dir "$dd" --today "$TODAY"
	record "flag-$backend" "$total"
	# A second run the same day with nothing changed (the scheduler runs flag after each batch of
	# files), then one after a file that changes the events of a tenth of pupils or more: every
	# event of each pupil in the big CSV whose UPN ends in 0 or 1, one session more.
	say "bench: pme flag again, nothing changed ($backend)"
	measure "flag2-$backend" "$PME" flag --db "${URL[$name]}" --data-dir "$dd" --today "$TODAY"
	record "flag2-$backend" "$(evaluated "$LOGS/flag2-$backend.err")"
	awk -F, -v OFS=, 'NR == 1 { print; next } $2 ~ /[01]$/ { $11 = $11 + 1; print }' "$BIG_CSV" >"$WORK/changed-$backend.csv"
	"$PME" ingest --db "${URL[$name]}" --data-dir "$dd" --today "$TODAY" "$WORK/changed-$backend.csv" >"$LOGS/changed-$backend.log" 2>&1 ||
		say "bench: ingest of the changed events failed on $backend: see $LOGS/changed-$backend.log"
	say "bench: pme flag again, a tenth of pupils changed ($backend)"
	measure "flag3-$backend" "$PME" flag --db "${URL[$name]}" --data-dir "$dd" --today "$TODAY"
	record "flag3-$backend" "$(evaluated "$LOGS/flag3-$backend.err")"
	pupils=$(pupil_count "$backend" "${URL[$name]}")
	NOTES+=("Second flag runs on $backend: nothing changed, ${ROWS[flag2-$backend]:-?} pupils evaluated again; after a file changing the events of $(($(wc -l <"$WORK/changed-$backend.csv") - 1)) rows, ${ROWS[flag3-$backend]:-?} of ${pupils:-?} pupils (the rows column of those two steps is pupils evaluated).")
	# Its reference is the time it took to ingest the same rows into fresh databases.
	SECS[ingest-all-$backend]=$(awk -v a="${SECS[susp-$backend]}" -v b="${SECS[xlsx-$backend]}" -v c="${SECS[small-$backend]}" \
		'BEGIN { printf "%.2f", a + b + c }')
	STATUS[ingest-all-$backend]=0
done

letters() {
	local backend=$1 name=letters_$1
	local url dd=$WORK/letters_$1
	url=$(fresh_db "$backend" "$name")
	local ref=$DATA/letters/reference
	say "bench: loading the letter data ($backend)"
	{
		"$PME" load schools "$ref"/edubasealldata*.csv --db "$url" --data-dir "$dd" --today "$TODAY" &&
			"$PME" load contacts "$ref/contacts.csv" --db "$url" --data-dir "$dd" --today "$TODAY" &&
			"$PME" load social-care "$ref/social-care.csv" --db "$url" --data-dir "$dd" --today "$TODAY" &&
			"$PME" load providers "$ref/providers.csv" --db "$url" --data-dir "$dd" --today "$TODAY" &&
			"$PME" ingest "$DATA"/letters/returns/* --db "$url" --data-dir "$dd" --today "$TODAY" &&
			"$PME" flag --db "$url" --data-dir "$dd" --today "$TODAY"
	} >"$LOGS/letters-setup-$backend.log" 2>&1 || {
		say "bench: setting up the letters on $backend failed: see $LOGS/letters-setup-$backend.log"
		M_STATUS=1 M_SECS=0 M_RSS=0
		record "letters-$backend" 0
		return
	}
	say "bench: pme letters ($backend)"
	measure "letters-$backend" "$PME" letters --json --db "$url" --data-dir "$dd" --today "$TODAY"
	local made missed
	made=$(grep -c '"letter_id"' "$LOGS/letters-$backend.out" || true)
	missed=$(grep -c '"reason"' "$LOGS/letters-$backend.out" || true)
	record "letters-$backend" "$made"
	if ((made != LETTERS)); then
		NOTES+=("pme letters on $backend: $made letters made and $missed not produced of $LETTERS due: see not_produced in $LOGS/letters-$backend.out")
	fi
}
letters postgres
letters sqlite
SECS[10s-target]=10
STATUS[10s-target]=0
SECS[5s-target]=5
STATUS[5s-target]=0
SECS[2s-target]=2
STATUS[2s-target]=0

# ---- 5. the table ----

mb() { printf '%s' "${RSS[$1]:-0}"; }
for backend in postgres sqlite; do
	ref=""
	max=""
	rss=$RSS_LIMIT_MB
	if [[ $backend == postgres ]]; then ref=psql-copy max=1.50 rss=100; elif ((HAVE_SQLITE3)); then ref=sqlite3-import; fi
	row "susp-$backend" "ingest $SUSP_ROWS-row suspensions CSV" "$backend" "$ref" "$max" "$rss"
	row "susp-mid-$backend" "ingest $SUSP_SMALL_ROWS-row suspensions CSV" "$backend" "" "" "$rss"
	if [[ $backend == sqlite ]]; then max=0.05; else max=0.20; fi
	row "xlsx-$backend" "ingest $XLSX_ROWS-row timetables xlsx" "$backend" pandas-xlsx "$max"
	if [[ $backend == postgres ]]; then max=1.00; else max=""; fi
	row "small-$backend" "ingest $small_count small files" "$backend" pandas-small "$max"
	if [[ -n ${SECS[loaded-xlsx-$backend]:-} ]]; then
		row "loaded-xlsx-$backend" "ingest the xlsx into the db holding the CSV" "$backend" "xlsx-$backend"
		row "loaded-small-$backend" "ingest the small files into that db" "$backend" "small-$backend"
	fi
	if [[ -n ${SECS[flag-$backend]:-} ]]; then
		row "flag-$backend" "flag over everything stored" "$backend" "ingest-all-$backend" 1.00
		max=""
		if [[ $backend == postgres ]]; then max=1.00; fi
		row "flag2-$backend" "flag again, nothing changed" "$backend" 5s-target "$max"
		row "flag3-$backend" "flag again, a tenth of pupils changed" "$backend" 10s-target "$max"
	fi
	row "letters-$backend" "letters ($LETTERS due)" "$backend" 2s-target 1.00
done
row psql-copy "reference: psql \\copy of the CSV" psql
if ((HAVE_SQLITE3)); then row sqlite3-import "reference: sqlite3 .import of the CSV" sqlite3; fi
if ((HAVE_PANDAS)); then
	row pandas-csv "reference: pandas.read_csv of the CSV" pandas
	row pandas-xlsx "reference: pandas.read_excel of the xlsx" pandas
	row pandas-small "reference: pandas reads the small files" pandas
fi

# Memory stays flat as input grows: peak RSS at the big CSV over that at the tenth-size one.
for backend in postgres sqlite; do
	if [[ ${STATUS[susp-$backend]} == 0 && ${STATUS[susp-mid-$backend]} == 0 ]]; then
		r=$(ratio "${RSS[susp-$backend]}" "${RSS[susp-mid-$backend]}")
		flat=yes
		if ! le "$r" 1.25; then flat=NO; fi
		NOTES+=("Memory, $backend: peak RSS $(mb "susp-mid-$backend") MB at $SUSP_SMALL_ROWS rows, $(mb "susp-$backend") MB at $SUSP_ROWS rows: ratio $r (target ≤1.25, flat): $flat.")
	fi
	if [[ ${STATUS[small-$backend]} == 0 ]]; then
		fps=$(fmt_rate "$small_count" "${SECS[small-$backend]}")
		ok=""
		if [[ $backend == postgres ]]; then
			ok=" (target ≥100 files/s: $(awk -v f="$fps" 'BEGIN { print (f >= 100) ? "yes" : "NO" }'))"
		fi
		if [[ ${STATUS[loaded-small-$backend]:-1} == 0 ]]; then
			ok+="; $(fmt_rate "$small_count" "${SECS[loaded-small-$backend]}") files/s into the database already holding the CSV and the xlsx"
		fi
		NOTES+=("Small files, $backend: $fps files/s into a fresh database$ok.")
	fi
done
NOTES+=("Ratio is pme's seconds over the reference's: ≤0.20 means at least 5× faster. The flag step's reference is the sum of the three ingests into fresh databases; the letters' is the 2 s target, the second flag runs' 5 s and 10 s; the ingests into the loaded database are compared with the same ingest into a fresh one.")
NOTES+=("Peak RSS is the measured process alone (the PostgreSQL server's memory is not in it). pandas seconds time the reads only, not Python's start or the import of pandas.")
for s in "${SKIPPED[@]}"; do NOTES+=("Skipped: $s."); done

cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo)
os=$(. /etc/os-release 2>/dev/null && printf '%s' "$PRETTY_NAME")
pgv=$(psql "$ADMIN_URL" -qtAc 'SHOW server_version' 2>/dev/null | awk '{print $1}')
sqv=$(sqlite3 --version 2>/dev/null | awk '{print $1}')
pdv=$($PYTHON -c 'import pandas; print(pandas.__version__)' 2>/dev/null || echo none)
MACHINE="$(date -u '+%Y-%m-%d %H:%M UTC'); $cpu, $(nproc) CPUs, $mem RAM; $os; $(go env GOVERSION); PostgreSQL ${pgv:-?} on ${PG_BASE#*@}; sqlite3 ${sqv:-none}; pandas $pdv"

header="step|backend|rows|seconds|rows/s|peak RSS MB|reference|ratio|target|met?"
{
	printf '%s\n' "$header"
	printf '%s\n' "${TABLE[@]}"
} | awk -F'|' '
	{ for (i = 1; i <= NF; i++) { cell[NR, i] = $i; w = length($i); if (w > width[i]) width[i] = w } ; n = NR; nf = NF }
	END {
		for (r = 1; r <= n; r++) {
			line = ""
			for (i = 1; i <= nf; i++) line = line sprintf("%-" width[i] "s  ", cell[r, i])
			print line
		}
	}'
printf '\nMachine: %s\n' "$MACHINE"
printf '%s\n' "${NOTES[@]}"

{
	printf '# pme benchmark\n\nMachine: %s\n\n' "$MACHINE"
	printf '| %s |\n' "${header//|/ | }"
	printf '|%s\n' "$(printf -- '---|%.0s' $(seq 10))"
	for t in "${TABLE[@]}"; do printf '| %s |\n' "${t//|/ | }"; done
	printf '\n'
	for n in "${NOTES[@]}"; do printf -- '- %s\n' "$n"; done
	printf '\nReproduce: `make bench` (or `./scripts/bench.sh`; `BENCH_QUICK=1` for a tenth of the sizes). Logs: %s\n' "$LOGS"
} >"$BENCH_DIR/bench.md"
say "bench: table written to $BENCH_DIR/bench.md"

# The databases are left for inspection until the next run; drop them now that the table is out.
for db in $(psql "$ADMIN_URL" -qtAc "SELECT datname FROM pg_database WHERE datname LIKE 'pme\\_bench\\_%'"); do
	psql "$ADMIN_URL" -q -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
done

# ---- 6. the web application (web.md) ----
# The case list over 10,000 open cases, and 20 signed-in clients for 30 s on the case list and case
# pages, against a server on 127.0.0.1 only; on SQLite, and on PostgreSQL (a fresh schema).
say "bench: web application (case list over 10,000 open cases; 20 clients for 30 s)"
PME_WEB_BENCH=1 PME_TEST_DATABASE_URL=${PME_TEST_DATABASE_URL:-$ADMIN_URL} \
	go test ./web -run '^TestWebBench$' -count=1 -v 2>"$LOGS/web-bench.err" | grep '^web-bench' | tee "$LOGS/web-bench.txt"
{
	printf '\n## Web application\n\n| backend | measure | figures |\n|---|---|---|\n'
	awk '{ f = ""; for (i = 4; i <= NF; i++) f = f " " $i; printf "| %s | %s |%s |\n", $2, $3, f }' "$LOGS/web-bench.txt"
} >>"$BENCH_DIR/bench.md"

# ---- 7. attendance registers (attendance.md) ----
# A month of marks for 120,000 pupils into each backend beside psql \copy, and the rules over a
# year of marks: scripts/bench-attendance.sh, which appends its table to bench.md.
BENCH_DIR=$BENCH_DIR BENCH_TODAY=$TODAY PME_BENCH_DATABASE_URL=$ADMIN_URL "$ROOT/scripts/bench-attendance.sh" ||
	say "bench: the attendance benchmark failed: see $LOGS/att-*"
