-- HA (issue 6, docs/ha.md): the pool master instances that share this database, the pool's HA
-- settings, each VM's restart policy, and the alerts HA decisions raise.

-- Every master instance registers itself at start: the standbys redirect clients to the active one's
-- api_url, and the instances are expected members of the cluster's quorum.
create table ha_master_instance (
    name        varchar(255) primary key,
    api_url     varchar(1000) not null,
    ha_address  varchar(255) not null,
    started_at  timestamp with time zone not null
);

-- One row: HA off until an administrator enables it with a statefile repository.
create table pool_ha (
    id                        integer primary key check (id = 1),
    enabled                   boolean not null,
    statefile_sr              uuid references storage_repository (uuid),
    host_failures_to_tolerate integer not null check (host_failures_to_tolerate >= 0),
    changed_at                timestamp with time zone,
    version                   bigint not null
);
insert into pool_ha (id, enabled, statefile_sr, host_failures_to_tolerate, changed_at, version) values (1, false, null, 0, null, 0);

-- A VM's HA policy: restart (always, counted by the failures-to-tolerate plan), best-effort (when
-- room is left), none. Lower restart_order restarts first; start_delay_s waits after its start.
-- restart_pending: its host died and it has not yet been started elsewhere.
create table vm_ha (
    vm_uuid          uuid primary key references vm (uuid) on delete cascade,
    restart_priority varchar(16) not null,
    restart_order    integer not null check (restart_order >= 0),
    start_delay_s    integer not null check (start_delay_s >= 0),
    restart_pending  boolean not null,
    version          bigint not null
);

-- Alerts: what an administrator should look at (HA decisions, fenced hosts, a broken plan).
create table alert (
    uuid         uuid primary key,
    created_at   timestamp with time zone not null,
    severity     varchar(16) not null,
    code         varchar(64) not null,
    object_class varchar(16),
    object_uuid  uuid,
    message      varchar(4000) not null
);
create index alert_created_at on alert (created_at);
