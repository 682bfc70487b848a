-- Task trees: a task started by another (each migration of a host evacuation) names its parent.
alter table task add column parent uuid;
create index task_parent on task (parent);
