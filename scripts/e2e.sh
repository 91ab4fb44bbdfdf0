#!/usr/bin/env bash
# End to end with a real client: the MCP Inspector CLI (from npm) drives `movie-mcp serve` over stdio and
# over Streamable HTTP. For each transport it lists the tools (exactly 11), calls all eleven with real
# arguments and checks the JSON, lists and reads resources, gets a prompt, and checks that a bad call
# comes back as a tool error (isError: true; Inspector 2.x also exits with status 5 for it).
#
# Runs against db/movies.db (`make db`) unless MOVIE_MCP_DB names another database. Needs node/npx: `npx -y`
# fetches the Inspector on first use. The HTTP server listens on a free 127.0.0.1 port and is stopped
# (SIGTERM) at the end; its clean shutdown is checked too. JSON checks are Python expressions over the
# Inspector's output `r`, run by the project's venv, so no jq is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SERVER="$ROOT/.venv/bin/movie-mcp"
PY="$ROOT/.venv/bin/python"
DB=${MOVIE_MCP_DB:-$ROOT/db/movies.db}
# 0.15.0 is the newest Inspector without a Node >= 22 requirement (what npx picks on Node 20 anyway);
# INSPECTOR=@modelcontextprotocol/inspector@latest tries the newest one.
INSPECTOR=${INSPECTOR:-@modelcontextprotocol/inspector@0.15.0}
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

for tool in npx node; do
    command -v "$tool" >/dev/null || { echo "e2e: $tool is missing (install Node.js 20+)" >&2; exit 2; }
done
[[ -x $SERVER ]] || { echo "e2e: $SERVER is missing; run 'make setup'" >&2; exit 2; }
[[ -f $DB ]] || { echo "e2e: no database at $DB; run 'make db'" >&2; exit 2; }

WORK=$(mktemp -d)
HTTP_PID=""
cleanup() {
    if [[ -n $HTTP_PID ]] && kill -0 "$HTTP_PID" 2>/dev/null; then kill -TERM "$HTTP_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

PASSED=0
FAILED=0
TARGET=()   # the Inspector's target: the server command (stdio) or the URL (http)
LABEL=""
OUT=""
RC=0

# inspect ARGS...: run the Inspector against $TARGET; its stdout in $OUT, exit status in $RC.
inspect() {
    set +e
    OUT=$(npx -y "$INSPECTOR" --cli "${TARGET[@]}" "$@" 2>"$WORK/stderr")
    RC=$?
    set -e
}

# check NAME EXPRESSION: pass when the Python EXPRESSION over the parsed output `r` is true.
check() {
    local name=$1 expression=$2
    if "$PY" -c '
import json, sys
r = json.loads(sys.stdin.read())
sys.exit(0 if eval(sys.argv[1]) else 1)
' "$expression" <<<"$OUT" 2>"$WORK/check"; then
        PASSED=$((PASSED + 1))
        printf '  ok    %-6s %s\n' "$LABEL" "$name"
    else
        FAILED=$((FAILED + 1))
        printf '  FAIL  %-6s %s (inspector exit %s)\n        expected: %s\n' "$LABEL" "$name" "$RC" "$expression"
        printf '        output: %.600s\n' "$OUT"
        sed 's/^/        /' "$WORK/check" "$WORK/stderr" | tail -n 15
    fi
}

# call TOOL ARG...: tools/call with --tool-arg key=value pairs; a successful call has exit 0 and no isError.
call() {
    local tool=$1
    shift
    inspect --method tools/call --tool-name "$tool" --tool-arg "$@"
    if [[ $RC -ne 0 ]]; then OUT='{"inspector_failed": true}'; fi
}

sc='r["structuredContent"]'
run_suite() {
    inspect --method tools/list
    check "tools/list: exactly 11 tools, each with an output schema" \
        'len(r["tools"]) == 11 and all(t.get("outputSchema") and t.get("annotations") for t in r["tools"])'

    call search_movies query=matrix limit=5
    check "search_movies finds The Matrix" "not r.get('isError') and $sc['results'][0]['title'] == 'The Matrix'"
    call get_movie_details movie_id=2959
    check "get_movie_details 2959 is Fight Club" "$sc['title'] == 'Fight Club' and $sc['ratings']['count'] > 0"
    call get_user_ratings user_id=1 limit=5 sort=highest
    check "get_user_ratings pages user 1" "len($sc['ratings']) == 5 and $sc['total'] >= 5"
    call get_random_movies n=3 genre=Comedy seed=7
    check "get_random_movies: 3 comedies" "len($sc['movies']) == 3 and all('Comedy' in m['genres'] for m in $sc['movies'])"
    call get_movie_recommendations 'liked_movies=["Toy Story", "Finding Nemo"]' n=5
    check "get_movie_recommendations from liked titles" \
        "len($sc['recommendations']) == 5 and not {1, 6377} & {m['movie_id'] for m in $sc['recommendations']}"
    call predict_rating user_id=15 movie_id=2959
    check "predict_rating in 0.5-5 stars, engine named" "0.5 <= $sc['predicted_rating'] <= 5.0 and $sc['engine']"
    call semantic_search 'query=astronauts stranded in space' k=5
    check "semantic_search returns 5 by meaning, says plot text is missing" \
        "len($sc['results']) == 5 and 'all-MiniLM-L6-v2' in $sc['engine'] and any('plot' in n for n in $sc['notes'])"
    call get_enriched_movies budget_tier=high limit=5
    check "get_enriched_movies filters by budget tier" \
        "0 < len($sc['movies']) <= 5 and all(m['enrichment']['budget_tier'] == 'high' for m in $sc['movies'])"
    call summarize_user_preferences user_id=15
    check "summarize_user_preferences for user 15" "$sc['user_id'] == 15 and $sc['rating_count'] > 0 and $sc['summary']"
    call compare_movies 'movie_ids=[2959, 296]'
    check "compare_movies side by side" "sorted(m['movie_id'] for m in $sc['movies']) == [296, 2959]"
    call enrich_movies 'movie_ids=[2959]'  # already enriched by the build: idempotent, nothing rewritten
    check "enrich_movies is idempotent" \
        "2959 in $sc['skipped_already_enriched'] or [m['movie_id'] for m in $sc['enriched']] == [2959]"

    inspect --method resources/templates/list
    check "resources/templates/list: movie and user profile" \
        'sorted(t["uriTemplate"] for t in r["resourceTemplates"]) == ["movie://{movie_id}", "user://{user_id}/profile"]'
    inspect --method resources/read --uri movie://2959
    check "resources/read movie://2959" 'json.loads(r["contents"][0]["text"])["title"] == "Fight Club"'
    inspect --method resources/read --uri catalog://stats
    check "resources/read catalog://stats" 'json.loads(r["contents"][0]["text"])["users"] > 0'
    inspect --method prompts/get --prompt-name compare --prompt-args 'movies=Heat; The Godfather'
    check "prompts/get compare resolves the titles" \
        '"compare_movies with movie_ids=[6, 858]" in r["messages"][0]["content"]["text"]'

    # A bad call is a tool error the model can read, not a protocol failure: isError true, exit 0 (0.x) or 5 (2.x).
    inspect --method tools/call --tool-name get_user_ratings --tool-arg user_id=99999
    if [[ $RC -ne 0 && $RC -ne 5 ]]; then OUT='{"inspector_failed": true}'; fi
    check "a bad call is a tool error (exit $RC)" \
        'r.get("isError") is True and "user 99999 does not exist" in r["content"][0]["text"]'
}

started=$SECONDS
echo "e2e: $INSPECTOR against $DB"

LABEL=stdio
TARGET=("$SERVER" --db "$DB" serve)
run_suite

LABEL=http
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$SERVER" --db "$DB" serve --transport streamable-http --host 127.0.0.1 --port "$PORT" \
    >"$WORK/http.out" 2>"$WORK/http.log" &
HTTP_PID=$!
if ! "$PY" - "$PORT" "$HTTP_PID" <<'EOF'; then
import os, sys, time, urllib.request
port, pid = sys.argv[1], int(sys.argv[2])
for _ in range(600):  # up to ~60 s on a slow machine
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("the HTTP server exited during start-up")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
            if response.status == 200:
                sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit("the HTTP server did not answer /health")
EOF
    cat "$WORK/http.log" >&2
    exit 1
fi
TARGET=("http://127.0.0.1:$PORT/mcp" --transport http)
run_suite

kill -TERM "$HTTP_PID"
for _ in $(seq 1 300); do kill -0 "$HTTP_PID" 2>/dev/null || break; sleep 0.1; done
OUT=$("$PY" -c 'import json, sys; print(json.dumps({"log": open(sys.argv[1]).read(), "stdout": open(sys.argv[2]).read()}))' \
    "$WORK/http.log" "$WORK/http.out")
check "SIGTERM: shut down, database closed, nothing on stdout" \
    '"database closed" in r["log"] and "Traceback" not in r["log"] and r["stdout"] == ""'
if kill -0 "$HTTP_PID" 2>/dev/null; then
    FAILED=$((FAILED + 1))
    echo "  FAIL  http   the server was still running 30 s after SIGTERM"
fi
HTTP_PID=""

echo "e2e: $PASSED passed, $FAILED failed in $((SECONDS - started))s"
[[ $FAILED -eq 0 ]]
