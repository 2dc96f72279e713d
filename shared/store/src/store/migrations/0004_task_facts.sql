-- What insight and prediction read of every task, kept beside the task's
-- JSON and in one covering index, so they never decode whole tasks:
-- labels and assignees joined by U+001F, and the template step a task was
-- made from ("Escrow to closing#3").
ALTER TABLE tasks ADD COLUMN labels TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN assignees TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN template_step TEXT;
UPDATE tasks SET
    labels = coalesce((SELECT group_concat(label, char(31)) FROM
        (SELECT label FROM task_labels l WHERE l.task_id = tasks.task_id ORDER BY label)), ''),
    assignees = coalesce((SELECT group_concat(name, char(31)) FROM
        (SELECT name FROM task_assignees a WHERE a.task_id = tasks.task_id ORDER BY name)), ''),
    template_step = CASE WHEN json_extract(json, '$.template') IS NOT NULL
        THEN json_extract(json, '$.template.template') || '#' || json_extract(json, '$.template.step')
    END;
CREATE INDEX tasks_facts ON tasks (board_id, task_id, title, created_at, completed_at,
    due_deadline, archived, labels, assignees, template_step);
