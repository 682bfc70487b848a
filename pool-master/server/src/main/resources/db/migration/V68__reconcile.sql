-- Reconciliation (docs/pool-master.md, "Reconciliation").
-- host.foreign_vms: VMs the host's agent reports that the pool does not know (left alone, counted).
-- vm.also_running_on: a second host found running the VM while the pool records it elsewhere
-- (both copies exist; nothing is killed automatically). No foreign key: it is a finding, and must
-- not stop a host's eject.
alter table host add column foreign_vms integer not null default 0;
alter table vm add column also_running_on uuid;
