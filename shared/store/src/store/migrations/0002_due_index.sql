-- Due-date range queries (today, tomorrow, this week) scan by due_at.
CREATE INDEX tasks_by_due_at ON tasks (due_at) WHERE due_at IS NOT NULL;
