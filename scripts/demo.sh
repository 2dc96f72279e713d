#!/usr/bin/env bash
# Seeds a demo profile (once) and shows its board.
set -euo pipefail
bin=$1
dir=$2
pl() { "$bin" --data-dir "$dir" --user alex "$@"; }
if [ ! -f "$dir/porchlight.db" ]; then
  pl board new "12 Oak St listing" -c "To do" -c "Doing" -c "Waiting" -c "Done" >/dev/null
  pl board new "Escrow: 48 Elm Ave" >/dev/null
  b="12 Oak St listing"
  pl task add "Order yard sign tomorrow #marketing @alex" --board "$b" >/dev/null
  pl task add "Schedule photographer friday 10am #marketing @maria !high mls:A12345" --board "$b" >/dev/null
  pl task add "Call seller re staging today 4pm #followup !urgent" --board "$b" >/dev/null
  pl task add "Write listing description in 3 days #copy @alex" --board "$b" >/dev/null
  pl task add "Open house every sat 1pm #showing" --board "$b" >/dev/null
  pl task add "Weekly seller update every! 7 days #followup @maria" --board "$b" >/dev/null
  e="Escrow: 48 Elm Ave"
  pl task add "Earnest money due in 2 days !high #escrow" --board "$e" >/dev/null
  pl task add "Inspection next tue 9am #escrow @maria" --board "$e" >/dev/null
  pl task add "Appraisal ordered? in 5 days #escrow" --board "$e" >/dev/null
  pl task add "Closing end of month #escrow !high" --board "$e" >/dev/null
  first=$(pl --json task list --board "$b" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
  pl task move "$first" --column Doing >/dev/null
  pl task check "$first" --add "Measure the lawn" >/dev/null
  pl task comment "$first" "Sign company says Thursday at the latest" >/dev/null
fi
pl board show "12 Oak St listing"
echo
echo "Focus — what to do next:"
pl focus --limit 5
