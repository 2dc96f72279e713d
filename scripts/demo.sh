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
  pl task add "Open house every sat 1-4pm #showing" --board "$b" >/dev/null
  pl task add "Weekly seller update every! 7 days #followup @maria" --board "$b" >/dev/null
  pl task add --stdin --board "$b" >/dev/null <<'TASKS'
Book the stager next mon #staging @maria
Touch-up paint in the hallway in 4 days #prep
Deep clean before photos thursday #prep !medium
Order lockbox today #prep @alex
Drone shots if the weather holds saturday 11am #marketing
Print feature sheets next wed #marketing
Post the listing to social media in 6 days #marketing @alex
Gather HOA documents #disclosures
Seller disclosure form signed friday #disclosures !high @maria
Lead paint disclosure (built 1962) #disclosures
Confirm showing instructions with the seller tomorrow #showing
Review feedback from Saturday's showings next mon #showing @alex
Price check against new comps in 2 weeks #pricing !medium
TASKS
  e="Escrow: 48 Elm Ave"
  pl task add --stdin --board "$e" >/dev/null <<'TASKS'
Earnest money due in 2 days !high #escrow
Inspection next tue 9am #escrow @maria
Appraisal ordered? in 5 days #escrow
Closing end of month #escrow !high
Send the signed contract to the title company today #escrow @alex
Order the title report tomorrow #title
Review the preliminary title report in 6 days #title
Buyer's loan application confirmed in 3 days #financing
Rate lock expires dec 15 #financing !high
Repair request response due in 8 days #inspection
Schedule the re-inspection in 10 days #inspection
Homeowner's insurance binder in 12 days #financing @maria
Utilities transfer reminder to the buyer in 20 days #closing
Final walkthrough end of month #closing @alex
Keys and garage remotes to the buyer end of month #closing
Send the closing gift in 5 weeks #closing
Ask for a review in 6 weeks #followup
TASKS
  first=$(pl --json task list --board "$b" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
  pl task move "$first" --column Doing >/dev/null
  pl task check "$first" --add "Measure the lawn" >/dev/null
  pl task comment "$first" "Sign company says Thursday at the latest" >/dev/null
  # A buyer under contract, from the shipped template (contract signed 5 days ago).
  pl board new "Buyer: 9 Pine Rd" >/dev/null
  pl template apply "Buyer under contract" --board "Buyer: 9 Pine Rd" \
    --anchor "$(date -d '5 days ago' +%F)" --name "9 Pine Rd" >/dev/null
  # Three months of finished work, so Insights has a history to learn from:
  # inspections take about a week, photos two days, follow-ups one.
  i=0
  for weeks_ago in 12 11 10 9 8 7 6 5 4 3 2 1; do
    for kind in "Inspection report #inspection:7" "Listing photos #photos:2" "Seller follow-up #followup:1"; do
      i=$((i + 1))
      title=${kind%:*}; days=${kind##*:}
      made=$(date -u -d "$((weeks_ago * 7 + i % 3)) days ago" +%FT10:00:00Z)
      done_at=$(date -u -d "$((weeks_ago * 7 + i % 3 - days - (i % 2))) days ago" +%FT16:00:00Z)
      id=$(pl --now "$made" --json task add "${title/ #/ $i #}" --board "Escrow: 48 Elm Ave" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
      pl --now "$done_at" task done "$id" >/dev/null
    done
  done
fi
pl board show "12 Oak St listing"
echo
echo "Focus — what to do next:"
pl focus --limit 5
