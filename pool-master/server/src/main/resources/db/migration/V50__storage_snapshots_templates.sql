-- Storage repositories with an API, VDI snapshots, VM snapshots and templates.

-- A repository that is not shared lives on one host (its only attachment).
alter table storage_repository add column local_host uuid references host (uuid);
alter table storage_repository add column physical_size_bytes bigint not null default 0;
alter table storage_repository add column physical_utilisation_bytes bigint not null default 0;
alter table storage_repository add column virtual_allocation_bytes bigint not null default 0;
alter table storage_repository add constraint storage_repository_name_unique unique (name);

-- Why an attachment is not attached (the agent's answer), for the administrator.
alter table storage_attachment add column reason varchar(1024);

alter table virtual_disk add column snapshot_of uuid references virtual_disk (uuid);
alter table virtual_disk add column physical_utilisation_bytes bigint not null default 0;
create index virtual_disk_snapshot_of on virtual_disk (snapshot_of);

-- VM snapshots are VMs (XAPI's is_a_snapshot), templates too (is_a_template). Names stay unique
-- among VMs and templates (checked by the service under the pool row's lock); a snapshot's name
-- is unique among the snapshots of its VM.
alter table vm add column kind varchar(16) not null default 'VM';
alter table vm add column snapshot_of uuid references vm (uuid);
alter table vm add column snapshot_at timestamp with time zone;
alter table vm drop constraint vm_name_unique;
create index vm_name on vm (name);
create index vm_snapshot_of on vm (snapshot_of);
create index vm_disk_virtual_disk on vm_disk (virtual_disk_uuid);
